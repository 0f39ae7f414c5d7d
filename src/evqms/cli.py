"""The `evqms` command.

Each area registers its own sub-commands (`register(subparsers)` in its `cli` module); a
handler returns the exit code: 0 success, 1 a finding the user must act on, 2 bad input.
Heavy imports (numpy, Django) happen inside handlers so `evqms --help` stays quick.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from evqms import __version__
from evqms.errors import EvqmsError, InputError, PermissionDenied, RuleViolation
from evqms.i18n import _, env_language

# Where each command lives: the module that adds it (`register(subparsers)`), in the order
# `evqms --help` lists them. A test holds every module to exactly the commands named here and the
# README's command list to this registry.
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("evqms.djcli", ("demo", "serve", "users", "manage")),
    ("evqms.lots.cli", ("lots",)),
    ("evqms.reports.cli", ("report",)),
    ("evqms.trace.cli", ("trace",)),
    ("evqms.core.cli", ("identifiers",)),
    ("evqms.audit.cli", ("audit",)),
    ("evqms.ops.cli", ("files", "backup", "restore")),
    ("evqms.analytics.cli", ("analyze",)),
    ("evqms.compliance.cli", ("assess", "compliance")),
    ("evqms.guidance.cli", ("guidance",)),
    ("evqms.landscape.cli", ("landscape",)),
    ("evqms.web.cli", ("notify",)),
)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)  # "--password" must not pass for "--password-stdin"
        super().__init__(*args, **kwargs)

    def error(self, message):  # one line, exit 2, as for every bad input
        self.exit(2, f"{self.prog}: {_('error')}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="evqms",
        description=_("Quality, safety and oversight for extracellular-vesicle (EV) therapies."),
        epilog=_("Example: evqms demo  (create the database, load demo data and serve the web app)"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"evqms {__version__}")
    parser.add_argument("--lang", choices=["en", "ja"], help=_("language of messages and reports"))
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module, _commands in COMMANDS:
        importlib.import_module(module).register(subparsers)
    return parser


def _activate_language() -> None:
    """When Django is already running in this process (tests, a shell), speak the CLI's language."""
    from django.apps import apps
    from django.conf import settings

    if settings.configured and apps.ready:
        from django.utils import translation

        translation.activate(env_language())


def one_line(message) -> str:
    """The error on one line: a newline or control character quoted from a bad file (a column
    name, a cell) is shown escaped, so it can neither split the line nor drive the terminal."""
    text = str(message)
    return "".join(ch if ch.isprintable() or ch == "\t" else repr(ch)[1:-1] for ch in text)


def main(argv: list[str] | None = None) -> int:
    """Run one command. `--lang` applies to this call only: the caller's language comes back after it
    (an in-process caller, such as a test or a shell, must not be left speaking another language)."""
    saved = os.environ.get("EVQMS_LANG")
    active = _django_language()
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    finally:
        if saved is None:
            os.environ.pop("EVQMS_LANG", None)
        else:
            os.environ["EVQMS_LANG"] = saved
        if active is not None:
            from django.utils import translation

            translation.activate(active)


def _django_language() -> str | None:
    """The language Django speaks in this process now, or None before Django is set up."""
    from django.apps import apps
    from django.conf import settings

    if settings.configured and apps.ready:
        from django.utils import translation

        return translation.get_language()
    return None


def _run(argv: list[str]) -> int:
    # --lang is read before building the parser so that help texts are translated too.
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            os.environ["EVQMS_LANG"] = argv[i + 1]
        elif arg.startswith("--lang="):
            os.environ["EVQMS_LANG"] = arg.split("=", 1)[1]
    _activate_language()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        code = args.handler(args)
    except InputError as exc:
        print(f"evqms: {_('error')}: {one_line(exc)}", file=sys.stderr)
        return 2
    except (PermissionDenied, RuleViolation) as exc:
        print(f"evqms: {_('refused')}: {one_line(exc)}", file=sys.stderr)
        return 2
    except EvqmsError as exc:
        print(f"evqms: {_('error')}: {one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`evqms ... | head`): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:  # configuration errors are the user's to fix: one line, no traceback
        if type(exc).__name__ != "ImproperlyConfigured":
            raise
        print(f"evqms: {_('configuration error')}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
