"""Operating an installation from the command line: `evqms files verify` (are the kept originals
still the files that were stored, and, with --orphans, which files under MEDIA_ROOT no row refers
to; exit 1 on any finding), `evqms backup [-o FILE]`, `evqms backup verify ARCHIVE` and
`evqms restore ARCHIVE`.

Backup exit codes: 0 done and verified; 1 a finding (a damaged archive, a restored installation
whose audit trail or files do not verify); 2 refused (bad path, non-empty target, incomplete
archive, missing key, no usable pg_dump).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from evqms.i18n import _


def register(subparsers) -> None:
    _register_files(subparsers)
    _register_backup(subparsers)


def _register_files(subparsers) -> None:
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
    verify.set_defaults(handler=run_files_verify)
    files.set_defaults(handler=lambda args: files.print_help() or 2)


def run_files_verify(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.cliutil import emit, to_json
    from evqms.errors import InputError
    from evqms.ops.files_check import remove_orphans, verify_files

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


# ---------------------------------------------------------------- backup and restore


def _register_backup(subparsers) -> None:
    backup = subparsers.add_parser(
        "backup",
        help=_("write one archive with the database, kept files and keys, while evqms keeps running"),
        description=_(
            "Takes an online snapshot of the database (SQLite's backup API, or pg_dump), then every file "
            "under EVQMS_HOME that is data or a key, into one tar archive with a manifest of SHA-256 hashes. "
            "The archive holds the keys: keep it as safe as the database."
        ),
        epilog=_(
            "Example: evqms backup -o /backups/evqms-2026-12-07.tar && evqms backup verify /backups/evqms-2026-12-07.tar"
        ),
    )
    backup.add_argument(
        "-o", "--output", help=_("archive to write (default: evqms-backup-<UTC time>.tar here)")
    )
    backup.add_argument("--format", choices=["text", "json"], default="text")
    backup.set_defaults(handler=run_backup)
    sub = backup.add_subparsers(dest="backup_command", metavar="ACTION", parser_class=type(backup))
    verify = sub.add_parser(
        "verify",
        help=_("check an archive: every member against the manifest, then the audit chain and kept files"),
        description=_(
            "Unpacks the archive into a temporary folder (and, for PostgreSQL, a scratch database on the "
            "server of DATABASE_URL), checks every member's SHA-256 against the manifest, then runs "
            "`evqms audit verify` and `evqms files verify` on the copy. Exit 1 on any finding."
        ),
        epilog=_("Example: evqms backup verify evqms-backup-20261207T010000Z.tar"),
    )
    verify.add_argument("archive")
    verify.add_argument("--format", choices=["text", "json"], default="text")
    verify.set_defaults(handler=run_backup_verify)

    restore = subparsers.add_parser(
        "restore",
        help=_("restore an archive into an empty EVQMS_HOME (and an empty DATABASE_URL database)"),
        description=_(
            "Refuses a damaged or incomplete archive, an archive without a key its database needs, and a "
            "target that is not empty; nothing is written then. Afterwards it runs `evqms audit verify` and "
            "`evqms files verify` on the restored installation (exit 1 if either finds something)."
        ),
        epilog=_("Example: EVQMS_HOME=/srv/evqms evqms restore /backups/evqms-2026-12-07.tar"),
    )
    restore.add_argument("archive")
    restore.add_argument("--format", choices=["text", "json"], default="text")
    restore.set_defaults(handler=run_restore)


def _print_problems(problems) -> None:
    for p in problems:
        print(f"  {p.path}: {p.message}")


def run_backup(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.cliutil import emit, to_json
    from evqms.ops import backup

    output = Path(args.output) if args.output else backup.default_output()
    manifest = backup.create_backup(output)
    counts = {kind: sum(1 for e in manifest["entries"] if e["kind"] == kind) for kind in ("key", "file")}
    size = output.stat().st_size
    if args.format == "json":
        emit(to_json({"archive": str(output), "size": size, **manifest}))
        return 0
    audit = manifest.get("audit") or {}
    print(
        _("backup written: {path} ({size} bytes; database {engine}, {keys} keys, {files} kept files)").format(
            path=output,
            size=size,
            engine=manifest["database"]["engine"],
            keys=counts["key"],
            files=counts["file"],
        )
    )
    if audit.get("head"):
        print(
            _("audit trail in the archive: {n} events, head #{seq} {hash}").format(
                n=audit["events"], seq=audit["head"]["seq"], hash=audit["head"]["hash"]
            )
        )
    print(_("The archive holds the keys: store it encrypted, away from this machine."))
    return 0


def run_backup_verify(args) -> int:
    from evqms.cliutil import emit, to_json
    from evqms.ops import backup

    manifest, problems = backup.verify_archive(
        Path(args.archive), database_url=os.environ.get("DATABASE_URL")
    )
    if args.format == "json":
        emit(
            to_json(
                {
                    "archive": args.archive,
                    "ok": not problems,
                    "created_at": (manifest or {}).get("created_at"),
                    "entries": len((manifest or {}).get("entries", [])),
                    "problems": [p.as_dict() for p in problems],
                }
            )
        )
    elif problems:
        print(_("backup archive {path} does NOT verify:").format(path=args.archive))
        _print_problems(problems)
    else:
        print(
            _(
                "backup archive {path} verified: {n} members match the manifest; audit trail and kept files intact"
            ).format(path=args.archive, n=len(manifest["entries"]))
        )
    return 1 if problems else 0


def run_restore(args) -> int:
    # No Django set-up before the target is checked: starting Django would create files in EVQMS_HOME.
    from evqms.cliutil import emit, to_json
    from evqms.ops import backup

    home = Path(os.environ.get("EVQMS_HOME", "var")).resolve()
    manifest, problems = backup.restore_archive(
        Path(args.archive), home=home, database_url=os.environ.get("DATABASE_URL") or None
    )
    if args.format == "json":
        emit(
            to_json(
                {
                    "archive": args.archive,
                    "home": str(home),
                    "ok": not problems,
                    "created_at": manifest.get("created_at"),
                    "problems": [p.as_dict() for p in problems],
                }
            )
        )
    else:
        print(
            _("restored {path} (made {created}) into {home}").format(
                path=args.archive, created=manifest.get("created_at"), home=home
            )
        )
        if problems:
            print(_("the restored installation does NOT verify:"), file=sys.stderr)
            for p in problems:
                print(f"  {p.path}: {p.message}", file=sys.stderr)
        else:
            print(_("audit trail and kept files verified"))
    return 1 if problems else 0
