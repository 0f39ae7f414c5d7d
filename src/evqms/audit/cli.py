"""`evqms audit`: verify the chain, export its head, write and print checkpoints, grant the
application's database role."""

from __future__ import annotations

import sys

from evqms.audit.messages import finding_text
from evqms.i18n import _


def register(subparsers) -> None:
    audit = subparsers.add_parser(
        "audit",
        help=_("verify the audit trail's hash chain"),
        epilog=_("Example: evqms audit verify --expect-head 3f2a...  (exit 1 when broken)"),
    )
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", parser_class=type(audit))
    verify = audit_sub.add_parser(
        "verify",
        help=_(
            "replay the chain and check it against the stored head, the checkpoints and the "
            "signatures; exit 1 naming what is broken or missing"
        ),
        epilog=_("Example: evqms audit verify --format json"),
    )
    verify.add_argument("--format", choices=["text", "json"], default="text")
    verify.add_argument(
        "--expect-head", help=_("the head hash exported earlier: detects a rewrite of the whole chain")
    )
    verify.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="LINE",
        help=_("a checkpoint line kept outside this machine (repeatable): the chain must contain it"),
    )
    verify.set_defaults(handler=_verify)

    head = audit_sub.add_parser(
        "export-head",
        help=_("print the head hash for safekeeping outside the database"),
        epilog=_("Example: evqms audit export-head >> /secure/evqms-heads.txt"),
    )
    head.add_argument("--format", choices=["text", "json"], default="text")
    head.set_defaults(handler=_export_head)

    checkpoint = audit_sub.add_parser(
        "checkpoint",
        help=_("write a checkpoint of the chain now (with its MAC) and print it; --print prints the latest"),
        epilog=_("Example: evqms audit checkpoint --print | ssh backup 'cat >> evqms-checkpoints.txt'"),
    )
    checkpoint.add_argument(
        "--print",
        dest="print_only",
        action="store_true",
        help=_("print the latest checkpoint line without writing one (to copy it off the machine)"),
    )
    checkpoint.add_argument("--format", choices=["text", "json"], default="text")
    checkpoint.set_defaults(handler=_checkpoint)

    grant = audit_sub.add_parser(
        "grant-app-role",
        help=_(
            "PostgreSQL, run as the owner: let the application's role read and write rows but never "
            "delete, update or truncate the audit and signature tables"
        ),
        epilog=_(
            "Example: DATABASE_URL=postgres://evqms_owner@db/evqms evqms audit grant-app-role evqms_app --create"
        ),
    )
    grant.add_argument("role")
    grant.add_argument(
        "--create", action="store_true", help=_("create the role (LOGIN) when it does not exist")
    )
    grant.add_argument(
        "--password-stdin", action="store_true", help=_("set the role's password from standard input")
    )
    grant.set_defaults(handler=_grant_app_role)
    audit.set_defaults(handler=lambda args: audit.print_help() or 2)


def _verify(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.audit.selectors import verify_chain
    from evqms.cliutil import emit, to_json

    result = verify_chain(expect_head=args.expect_head, external_checkpoints=args.checkpoint)
    if args.format == "json":
        data = result.to_dict()
        texts = [finding_text(f) for f in result.findings]
        data["message"] = texts[0] if texts else None
        data["messages"] = texts
        emit(to_json(data))
    elif result.ok:
        emit(_("audit trail intact: {n} events, head {head}").format(n=result.events, head=result.head_hash))
        emit(_checkpoint_summary(result))
    else:
        for finding in result.findings:
            emit(finding_text(finding))
    return 0 if result.ok else 1


def _checkpoint_summary(result) -> str:
    from evqms.core.timefmt import display_local

    cp = result.checkpoint
    if cp is None:
        return _("no checkpoint outside the database yet: run `evqms audit checkpoint`")
    return _("latest checkpoint: event #{seq} at {at}; {since} events since").format(
        seq=cp["seq"], at=display_local(_parse_at(cp["at"])), since=cp["since"]
    )


def _parse_at(text: str):
    import datetime as dt

    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _export_head(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    import datetime as dt

    from evqms.audit.selectors import head_hash
    from evqms.cliutil import emit, to_json
    from evqms.core.timefmt import display_local

    seq, digest = head_hash()
    now = dt.datetime.now(dt.UTC)
    if args.format == "json":
        emit(to_json({"seq": seq, "head_hash": digest, "exported_at": now.isoformat(timespec="seconds")}))
    else:
        # The hash stays the first word (what `audit verify --expect-head` takes); the time is
        # read by a person, so it is local with its zone.
        emit(f"{digest}  seq={seq}  exported_at={display_local(now, seconds=True)}")
    return 0


def _checkpoint(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.audit import checkpoints
    from evqms.cliutil import emit, to_json

    if args.print_only:
        line = checkpoints.latest_line()
        if line is None:
            print(
                _("no checkpoint yet in {path}: run `evqms audit checkpoint`").format(
                    path=checkpoints.file_path()
                ),
                file=sys.stderr,
            )
            return 1
    else:
        from evqms.audit.services import write_checkpoint

        line = write_checkpoint(reason="requested").line()
    if args.format == "json":
        cp = checkpoints.parse_line(line)
        emit(to_json({**cp.to_dict(), "mac": cp.mac, "line": line, "file": str(checkpoints.file_path())}))
    else:
        emit(line)
    return 0


def _grant_app_role(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from django.db import connection

    from evqms.audit.dbroles import grant_app_role
    from evqms.errors import InputError

    if connection.vendor != "postgresql":
        raise InputError(
            _("database roles exist on PostgreSQL only (DATABASE_URL is not PostgreSQL)"),
            where="DATABASE_URL",
        )
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        guarded = grant_app_role(args.role, create=args.create, password=password)
    except LookupError:
        raise InputError(
            _("role {role} does not exist (add --create to create it)").format(role=args.role), where="role"
        ) from None
    print(
        _("role {role} may read and write rows; it cannot update, delete or truncate: {tables}").format(
            role=args.role, tables=", ".join(guarded)
        )
    )
    return 0
