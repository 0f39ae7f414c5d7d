"""`evqms identifiers check`: stored identifiers that break the identifier rule (exit 1 when any).

QA corrects them on the page /identifiers/ (each correction with a reason, audited).
"""

from __future__ import annotations

from evqms.i18n import _


def register(subparsers) -> None:
    ids = subparsers.add_parser(
        "identifiers",
        help=_("check stored lot numbers, container ids and other codes against the identifier rule"),
        epilog=_("Example: evqms identifiers check --format json"),
    )
    ids_sub = ids.add_subparsers(dest="identifiers_command", metavar="ACTION", parser_class=type(ids))
    check = ids_sub.add_parser(
        "check",
        help=_("list stored identifiers that break the rule; exit 1 when there is one"),
        description=_(
            "An identifier is letters, digits, - _ and . (starting with a letter or digit), within "
            "its length limit, and unique ignoring letter case (patterns per kind in settings "
            "EVQMS_IDENTIFIERS). Rows stored before the rule are listed so QA can correct them on "
            "the page /identifiers/."
        ),
        epilog=_("Example: evqms identifiers check --kind lot"),
    )
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.add_argument("--kind", action="append", help=_("check only this kind (repeatable), e.g. lot"))
    check.add_argument("-o", "--output", help=_("write to this file instead of standard output"))
    check.set_defaults(handler=run)
    ids.set_defaults(handler=lambda args: ids.print_help() or 2)


def run(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.cliutil import emit, to_json
    from evqms.core import identifiers
    from evqms.errors import InputError

    unknown = sorted(set(args.kind or ()) - set(identifiers.KINDS))
    if unknown:
        raise InputError(
            _("unknown identifier kind {kind} (one of {kinds})").format(
                kind=", ".join(unknown), kinds=", ".join(identifiers.KINDS)
            ),
            where="--kind",
        )
    found = identifiers.violations(args.kind)
    if args.format == "json":
        rows = [
            {"kind": v.kind, "id": v.pk, "value": v.value, "problem": v.problem, "suggestion": v.suggestion}
            for v in found
        ]
        emit(to_json(rows), args.output)
    else:
        labels = identifiers.kind_labels()
        lines = [
            _("{kind} {value} (id {id}): {problem}").format(
                kind=labels[v.kind], value=ascii(v.value), id=v.pk, problem=v.problem
            )
            + (_(" -> suggested {value}").format(value=v.suggestion) if v.suggestion else "")
            for v in found
        ]
        lines.append(
            _("{n} identifiers break the rule; QA corrects them on the page /identifiers/.").format(
                n=len(found)
            )
            if found
            else _("Every stored identifier follows the rule.")
        )
        emit("\n".join(lines) + "\n", args.output)
    return 1 if found else 0
