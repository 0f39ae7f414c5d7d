"""`evqms files verify`: are the kept originals still the files that were stored (SHA-256), and,
with --orphans, which files under MEDIA_ROOT does no row refer to. Exit 1 on any finding."""

from __future__ import annotations

from evqms.i18n import _


def register(subparsers) -> None:
    files = subparsers.add_parser(
        "files",
        help=_("check the kept original files against their recorded SHA-256"),
        epilog=_("Example: evqms files verify --orphans"),
    )
    files_sub = files.add_subparsers(dest="files_command", metavar="ACTION", parser_class=type(files))
    verify = files_sub.add_parser(
        "verify",
        help=_("recompute the SHA-256 of every kept original; exit 1 when one is altered or missing"),
        description=_(
            "Reads every stored original (QC raw files, documents, NTA exports, potency plates, "
            "landscape inputs, QC-results imports), recomputes its SHA-256 and compares it with the "
            "hash recorded when it was stored."
        ),
        epilog=_("Example: evqms files verify --orphans --format json"),
    )
    verify.add_argument("--format", choices=["text", "json"], default="text")
    verify.add_argument(
        "--orphans",
        action="store_true",
        help=_("also list files under MEDIA_ROOT that no record refers to (a finding: exit 1)"),
    )
    verify.add_argument(
        "--remove",
        action="store_true",
        help=_(
            "with --orphans: delete the orphan files (audited, each with its SHA-256) and the folders "
            "they leave empty"
        ),
    )
    verify.add_argument(
        "--grace-minutes",
        type=int,
        default=60,
        metavar="N",
        help=_("with --remove: keep orphans younger than N minutes (an upload may still be committing)"),
    )
    verify.add_argument(
        "--model",
        action="append",
        metavar="APP.MODEL",
        help=_("check only this model's originals (repeatable), e.g. lots.QCResult"),
    )
    verify.add_argument("-o", "--output", help=_("write to this file instead of standard output"))
    verify.set_defaults(handler=run)
    files.set_defaults(handler=lambda args: files.print_help() or 2)


def run(args) -> int:
    from evqms.djcli import setup_django

    setup_django()
    from evqms.cliutil import emit, to_json
    from evqms.core.files_check import remove_orphans, verify_files
    from evqms.errors import InputError

    if args.remove and not args.orphans:
        raise InputError(_("--remove needs --orphans"), where="--remove")
    if args.grace_minutes < 0:
        raise InputError(_("must be 0 or more minutes"), where="--grace-minutes")
    result = verify_files(with_orphans=args.orphans, models=args.model)
    removal = None
    if args.remove and result.orphans:
        removal = remove_orphans(result.orphans, grace_minutes=args.grace_minutes, operator=_os_user())
        result.orphans = removal.kept_recent  # what is left is still a finding
    if args.format == "json":
        data = result.as_dict()
        if removal is not None:
            data["removal"] = removal.as_dict()
        emit(to_json(data), args.output)
    else:
        emit(render_text(result, removal), args.output)
    return 0 if result.ok else 1


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return ""


def _record(f) -> str:
    return _("{record} {code} (id {id}): {path}").format(record=f.label, code=f.code, id=f.pk, path=f.path)


def render_text(result, removal=None) -> str:
    altered, missing = result.of("altered"), result.of("missing")
    lines = [_("Kept originals under {root}").format(root=result.media_root)]
    for f in altered:
        lines.append(
            "  "
            + _("ALTERED {record}").format(record=_record(f))
            + "\n    "
            + _("recorded {expected}, now {actual}").format(expected=f.expected or "-", actual=f.actual)
        )
    for f in missing:
        lines.append("  " + _("MISSING {record}").format(record=_record(f)))
    if result.orphans is not None:
        for o in result.orphans:
            lines.append(
                "  "
                + _("ORPHAN {path} ({bytes} bytes): no record refers to it").format(
                    path=o.path, bytes=o.bytes
                )
            )
    if removal is not None:
        for o in removal.removed:
            lines.append("  " + _("REMOVED {path} ({bytes} bytes)").format(path=o.path, bytes=o.bytes))
        if removal.removed:
            lines.append(
                "  "
                + _("{n} orphan files removed (audit event #{seq})").format(
                    n=len(removal.removed), seq=removal.event_seq
                )
            )
    summary = _("{checked} checked: {ok} intact, {altered} altered, {missing} missing").format(
        checked=len(result.files), ok=len(result.of("ok")), altered=len(altered), missing=len(missing)
    )
    if result.orphans is not None:
        summary += _(", {n} orphan files").format(n=len(result.orphans))
    lines.append(summary)
    return "\n".join(lines) + "\n"
