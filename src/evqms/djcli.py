"""The commands of the installation as a whole: demo, serve, users and manage.

They sit at the top of the house (the demo loads every area); each area's own commands live in
its `cli` module, listed in `evqms.cli.COMMANDS`.
"""

from __future__ import annotations

import argparse
import os
import sys

from evqms.i18n import _
from evqms.startup import setup_django


def register(subparsers) -> None:
    demo = subparsers.add_parser(
        "demo",
        help=_(
            "create or upgrade the database (SQLite, or PostgreSQL from DATABASE_URL), "
            "load the demo data and serve the web app"
        ),
        epilog=_("Example: evqms demo --port 8000"),
    )
    demo.add_argument("--no-serve", action="store_true", help=_("do everything but serve"))
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(handler=_demo)

    serve = subparsers.add_parser(
        "serve",
        help=_("run the production web server (gunicorn) on DATABASE_URL or SQLite"),
        epilog=_(
            "Example: EVQMS_MODE=production EVQMS_SECRET_KEY=... evqms serve --host 0.0.0.0 --port 8000"
        ),
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=3)
    serve.add_argument("--migrate", action="store_true", help=_("apply database migrations first"))
    serve.set_defaults(handler=_serve)

    users = subparsers.add_parser(
        "users",
        help=_("create and list users"),
        epilog=_(
            "Example: echo 'a-long-password' | evqms users create alice --role qa_reviewer --password-stdin"
        ),
    )
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", parser_class=type(users))
    create = users_sub.add_parser(
        "create",
        help=_("create a user with one or more roles"),
        epilog=_(
            "Example: echo 'a-long-password' | evqms users create alice --role qa_reviewer --password-stdin"
        ),
    )
    create.add_argument("name")
    create.add_argument(
        "--role",
        action="append",
        required=True,
        help=_("operator, qc_analyst, qa_reviewer, physician, auditor or administrator (repeatable)"),
    )
    create.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help=_("read the password from standard input (never from the command line)"),
    )
    create.add_argument("--printed-name", default="", help=_("the name shown on signatures"))
    create.add_argument("--email", default="")
    create.set_defaults(handler=_users_create)
    lst = users_sub.add_parser(
        "list", help=_("list users and their roles"), epilog=_("Example: evqms users list --format json")
    )
    lst.add_argument("--format", choices=["text", "json"], default="text")
    lst.set_defaults(handler=_users_list)
    _register_account_actions(users_sub)
    users.set_defaults(handler=lambda args: users.print_help() or 2)

    manage = subparsers.add_parser(
        "manage",
        help=_("run a Django management command (e.g. migrate, check --deploy)"),
        epilog=_("Example: evqms manage check --deploy"),
    )
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_manage)


def _prepare_database() -> None:
    from evqms import localebuild
    from evqms.audit.dbroles import migrate

    localebuild.build("ja")
    migrate(verbosity=0)  # as the owner role when DATABASE_OWNER_URL is set


def _demo(args) -> int:
    setup_django()
    from django.conf import settings

    from evqms.web import demo

    where = _database_label(settings.DATABASES["default"])
    print(_("Preparing the database at {path} ...").format(path=where))
    _prepare_database()
    logins = demo.load_demo()
    url = f"http://{args.host}:{args.port}/"
    print()
    print(_("evqms is ready: {url}").format(url=url))
    print(_("Demo logins (user / password / role):"))
    for login in logins:
        print(f"  {login['username']:<16} {login['password']:<24} {login['role']}")
    print(_("(the passwords are kept in {path})").format(path=demo.credentials_path()))
    if args.no_serve:
        return 0
    return _exec_gunicorn(args.host, args.port, workers=2)


def _exec_gunicorn(host: str, port: int, workers: int) -> int:
    sys.stdout.flush()
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "evqms.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--timeout",
        "120",
    ]
    os.execv(sys.executable, cmd)
    return 0  # pragma: no cover


def _database_label(db: dict) -> str:
    """Where the database is, without the password a DATABASE_URL may carry."""
    if db["ENGINE"].endswith("sqlite3"):
        return str(db["NAME"])
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{db.get('USER') or ''}@{host}{port}/{db['NAME']}"


def _serve(args) -> int:
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    if settings.PRODUCTION and not settings.ALLOWED_HOSTS:
        print(
            _("evqms serve refused: EVQMS_MODE=production needs EVQMS_ALLOWED_HOSTS (the site's host names)"),
            file=sys.stderr,
        )
        return 2
    if args.migrate:
        _prepare_database()
    call_command("check", verbosity=0)
    if settings.PRODUCTION:
        # Production serves the hashed, compressed copies listed in STATIC_ROOT's manifest; without
        # them every page that names a static file answers 500, so collect them before serving.
        try:
            call_command("collectstatic", interactive=False, verbosity=0)
        except Exception as exc:  # unreadable source, full disk, a bad reference: the user's to fix
            print(
                _("evqms serve refused: collecting static files into {path} failed: {reason}").format(
                    path=settings.STATIC_ROOT, reason=exc
                ),
                file=sys.stderr,
            )
            return 2
    return _exec_gunicorn(args.host, args.port, args.workers)


def _users_create(args) -> int:
    setup_django()
    from evqms.accounts import services

    password = sys.stdin.readline().rstrip("\n")
    user = services.create_user(
        actor=None,
        username=args.name,
        password=password,
        role_names=args.role,
        printed_name=args.printed_name,
        email=args.email,
    )
    print(
        _("created user {name} with roles {roles}").format(
            name=user.username, roles=", ".join(user.role_names())
        )
    )
    return 0


def _register_account_actions(users_sub) -> None:
    """deactivate, activate, unlock, set-role: an administrator's actions, each with a reason, done by
    the administrator named with --as and proved by password (evqms.accounts.cli_auth)."""
    from evqms.accounts.cli_auth import add_identity_arguments

    helps = {
        "deactivate": _("deactivate an account: it cannot sign in, its sessions and API tokens stop at once"),
        "activate": _("activate an account again"),
        "unlock": _("unlock an account locked after repeated failed logins (from every address)"),
        "set-role": _("replace an account's roles"),
    }
    for action, help_text in helps.items():
        sub = users_sub.add_parser(
            action,
            help=help_text,
            epilog=_(
                'Example: echo "$ADMIN_PASSWORD" | evqms users {action} alice{extra} --reason "left the company" --as admin --password-stdin'
            ).format(action=action, extra=" --role qa_reviewer" if action == "set-role" else ""),
        )
        sub.add_argument("name", metavar="USER")
        if action == "set-role":
            sub.add_argument(
                "--role",
                action="append",
                required=True,
                help=_("operator, qc_analyst, qa_reviewer, physician, auditor or administrator (repeatable)"),
            )
        sub.add_argument("--reason", required=True, help=_("why (recorded in the audit trail)"))
        add_identity_arguments(sub, who=_("the administrator acting (authenticated by password)"))
        sub.set_defaults(handler=_users_account_action, account_action=action)


def _users_account_action(args) -> int:
    setup_django()
    from django.contrib.auth import get_user_model

    from evqms.accounts import services
    from evqms.accounts.cli_auth import authenticated_actor
    from evqms.errors import InputError

    admin = authenticated_actor(args)  # before any transaction: a wrong password stays counted
    user = get_user_model().objects.filter(username=args.name).first()
    if user is None:
        raise InputError(_("no user {name}").format(name=args.name), where="USER")
    action = args.account_action
    if action == "deactivate":
        services.deactivate_user(actor=admin, user=user, reason=args.reason)
        print(_("deactivated {name}: its sessions and API tokens no longer work").format(name=user.username))
    elif action == "activate":
        services.activate_user(actor=admin, user=user, reason=args.reason)
        print(_("activated {name}").format(name=user.username))
    elif action == "unlock":
        count = services.unlock_user(actor=admin, user=user, reason=args.reason)
        print(_("unlocked {name} ({n} failed-attempt records cleared)").format(name=user.username, n=count))
    else:
        services.set_roles(actor=admin, user=user, role_names=args.role, reason=args.reason)
        print(
            _("{name} now has roles {roles}").format(name=user.username, roles=", ".join(user.role_names()))
        )
    return 0


def _users_list(args) -> int:
    setup_django()
    from evqms.accounts.lockout import locked_usernames
    from evqms.accounts.selectors import users_with_roles
    from evqms.cliutil import emit, to_json

    locked = locked_usernames()

    rows = [
        {
            "username": u.username,
            "printed_name": u.printed_name,
            "roles": sorted(g.name for g in u.groups.all()),
            "active": u.is_active,
            "locked": u.username in locked,
        }
        for u in users_with_roles()
    ]
    if args.format == "json":
        emit(to_json(rows))
    else:
        from evqms.accounts.roles import ROLES

        for r in rows:
            # The role as the reader calls it, with the code `users create --role` takes.
            roles = ", ".join(f"{ROLES[g]} ({g})" if g in ROLES else g for g in r["roles"])
            state = "" if r["active"] else " " + _("(inactive)")
            state += " " + _("(locked)") if r["locked"] else ""
            emit(f"{r['username']:<20} {roles:<36} {r['printed_name']}{state}")
    return 0


def _manage(args) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["evqms manage", *args.args])
    return 0
