"""Who runs a command that writes records: the person proves it with their password, as on the web.

A command that records something in a person's name takes `--as USER` and the password, from the
first line of standard input (`--password-stdin`, for scripts) or asked for on the terminal. The
check goes through Django's `authenticate` with the same backends as the login page, so django-axes
counts a wrong password as a failed login and refuses a locked account; an inactive account is
refused too. Without a valid password nothing is recorded.
"""

from __future__ import annotations

import getpass
import sys

from evqms.errors import PermissionDenied
from evqms.i18n import _


def add_identity_arguments(parser, *, who: str) -> None:
    """`--as USER` (required) and `--password-stdin` on a sub-command that writes records."""
    parser.add_argument("--as", dest="username", metavar="USER", required=True, help=who)
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help=_("read USER's password from the first line of standard input (otherwise it is asked for)"),
    )


def read_password(args, *, stdin=None, ask=None) -> str:
    stdin = stdin if stdin is not None else sys.stdin
    if getattr(args, "password_stdin", False):
        line = stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        return password.rstrip("\r")
    if not (hasattr(stdin, "isatty") and stdin.isatty()):
        raise PermissionDenied(
            _("no terminal to ask for the password of {name}: give it with --password-stdin").format(
                name=args.username
            )
        )
    ask = ask or getpass.getpass
    return ask(_("Password for {name}: ").format(name=args.username))


def _cli_request():
    """The request django-axes keys its attempt records on (the account, as on the web)."""
    from django.http import HttpRequest

    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = "/cli/"
    request.META.update({"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "evqms-cli", "SERVER_NAME": "cli"})
    return request


def authenticate_person(username: str, password: str):
    """The user whose password this is; refused (PermissionDenied) for a wrong password, a locked or
    an inactive account. Call it before any transaction: a failed attempt must stay recorded."""
    from axes.handlers.proxy import AxesProxyHandler
    from django.contrib.auth import authenticate

    username = (username or "").strip()
    if not username:
        raise PermissionDenied(_("name the person acting with --as USER"))
    request = _cli_request()
    credentials = {"username": username}
    if AxesProxyHandler.is_locked(request, credentials):
        raise PermissionDenied(
            _("the account {name} is locked after repeated failed logins: nothing was recorded").format(
                name=username
            )
        )
    user = authenticate(request, username=username, password=password or "")
    if user is None:
        if AxesProxyHandler.is_locked(request, credentials):
            raise PermissionDenied(
                _("the account {name} is locked after repeated failed logins: nothing was recorded").format(
                    name=username
                )
            )
        raise PermissionDenied(
            _("the user name or password is wrong (or the account is inactive): nothing was recorded")
        )
    return user


def authenticated_actor(args, *, stdin=None, ask=None):
    """The authenticated person named by `--as`, with the password read as the arguments say."""
    return authenticate_person(args.username, read_password(args, stdin=stdin, ask=ask))
