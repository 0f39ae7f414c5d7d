"""`evqms lots list|show|import-qc`: lots from the database."""

from __future__ import annotations

import argparse

from evqms.accounts.cli_auth import add_identity_arguments
from evqms.i18n import _

STATUSES = ("in_process", "qc", "quarantine", "released", "rejected", "expired", "recalled")


def register(subparsers) -> None:
    lots = subparsers.add_parser(
        "lots",
        help=_("list lots and show a lot's whole record"),
        description=_(
            "Lots from cell bank to filled product: materials, steps, QC results, deviations, release."
        ),
        epilog=_("Example: evqms lots show UCEV-24-001 --format json"),
    )
    sub = lots.add_subparsers(dest="lots_command", metavar="ACTION", parser_class=type(lots))
    lst = sub.add_parser(
        "list", help=_("list lots"), epilog=_("Example: evqms lots list --status quarantine")
    )
    lst.add_argument("--status", choices=STATUSES)
    lst.add_argument("--product", metavar="CODE", help=_("product code"))
    lst.add_argument("--search", help=_("part of a lot number, product or cell bank"))
    lst.add_argument("--format", choices=["text", "json"], default="text")
    lst.set_defaults(handler=_list)
    show = sub.add_parser(
        "show",
        help=_("show a lot's whole record"),
        epilog=_("Example: evqms lots show UCEV-24-003 --format text"),
    )
    show.add_argument("lot", metavar="LOT")
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.set_defaults(handler=_show)
    from evqms.lots.qc_columns import columns_help

    imp = sub.add_parser(
        "import-qc",
        help=_("import QC results from a CSV or Excel file (all rows or none)"),
        description=_("Import QC results from a CSV or Excel (.xlsx) file: every row or none.")
        + "\n\n"
        + columns_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_("Example: evqms lots import-qc results.xlsx --as analyst --password-stdin < password.txt"),
    )
    imp.add_argument("file")
    imp.add_argument(
        "--mapping", metavar="NAME", help=_("read the file's headers through this saved column mapping")
    )
    imp.add_argument(
        "--dry-run",
        action="store_true",
        help=_("check every row as the import would and show it, recording no result"),
    )
    add_identity_arguments(imp, who=_("the QC analyst importing the file (authenticated by password)"))
    imp.add_argument("--format", choices=["text", "json"], default="text")
    imp.set_defaults(handler=_import)
    lots.set_defaults(handler=lambda args: lots.print_help() or 2)


def _list(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.cliutil import emit, to_json
    from evqms.errors import InputError
    from evqms.lots.selectors import lot_list

    if args.product:
        from evqms.dossier.models import Product

        if not Product.objects.filter(code=args.product).exists():
            raise InputError(_("unknown product {code}").format(code=args.product), where="--product")
    rows = [
        {
            "number": lot.number,
            "product": lot.product.code,
            "status": lot.status,
            "process_version": lot.process.version,
            "specification_version": lot.specification.version,
            "cell_bank": lot.cell_bank.code,
            "manufactured_on": lot.manufactured_on.isoformat(),
            "expiry": lot.expiry.isoformat() if lot.expiry else None,
            "open_deviations": lot.open_deviations,
        }
        for lot in lot_list(status=args.status, product=args.product, search=args.search)
    ]
    if args.format == "json":
        emit(to_json(rows))
        return 0
    if not rows:
        emit(_("no lots"))
        return 0
    from evqms.lots.models import LOT_STATUSES

    label = {code: str(text) for code, text in LOT_STATUSES}  # the reader's language; JSON keeps codes
    lines = [
        f"{r['number']:<16} {label.get(r['status'], r['status']):<11} {r['product']:<16} v{r['process_version']}/v{r['specification_version']}"
        f"  {r['cell_bank']:<12} {r['manufactured_on']}  {r['expiry'] or '-'}"
        + (f"  {_('open deviations')}: {r['open_deviations']}" if r["open_deviations"] else "")
        for r in rows
    ]
    emit("\n".join(lines))
    return 0


def _show(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.cliutil import emit, to_json
    from evqms.errors import InputError
    from evqms.lots.selectors import get_lot, lot_detail

    lot = get_lot(args.lot)
    if lot is None:
        raise InputError(_("unknown lot {lot}").format(lot=args.lot), where="LOT")
    story = lot_detail(lot)
    from evqms.core.timefmt import for_json

    emit(to_json(for_json(story)) if args.format == "json" else render_text(story))
    return 0


def _v(value) -> str:
    if value is None:
        return "-"
    if hasattr(value, "normalize"):
        return format(value.normalize(), "f") if abs(value) < 10**7 else str(value.normalize())
    return str(value)


def _local(when) -> str:
    """Local time with its zone ('2026-12-06 10:00 JST'), as every page shows it."""
    from evqms.core.timefmt import display_local

    return display_local(when) or "-"


def render_text(s: dict) -> str:
    """The lot's story for a terminal."""
    out = [
        f"{_('Lot')} {s['number']}  [{s['status_display']}]",
        f"  {_('Product')}: {s['product']['code']} {s['product']['name']}",
        f"  {_('Process')} v{s['process']['version']}, {_('specification')} v{s['specification']['version']}, "
        f"{_('cell bank')} {s['cell_bank']['code']} ({s['cell_bank']['kind']}, P{s['cell_bank']['passage']})",
        f"  {_('manufactured on')} {s['manufactured_on']}, {_('expiry')} {s['expiry'] or '-'}, "
        f"{_('volume (mL)')} {_v(s['volume_ml'])}",
        "",
        _("Materials used:"),
    ]
    for m in s["materials"] or []:
        origin = (
            f"{m['animal_species']} {m['animal_tissue']}".strip() if m["animal_species"] else _("animal-free")
        )
        out.append(
            f"  {m['material']} {_('lot')} {m['lot_number']}: {_v(m['quantity'])} {m['unit']} ({origin})"
        )
    out.append(_("Steps:"))
    for st in s["steps"]:
        out.append(
            f"  {st['order']}. {st['name']} ({st['operator']['username']}, {_local(st['started_at'])})"
        )
        for v in st["values"]:
            flag = "" if v["in_range"] else f"  !! {_('out of range')} {v['deviation'] or ''}"
            out.append(
                f"     {v['parameter']} = {_v(v['value'])} {v['unit']} [{_v(v['low'])}–{_v(v['high'])}]{flag}"
            )
    out.append(_("QC results:"))
    for r in s["results"]:
        censor = f"{r['censor']} " if r.get("censor") else ""  # "< 0.05 EU/mL": below the LOQ
        shown = r["text_value"] or f"{censor}{_v(r['value'])} {r['unit']}"
        marks = [r["verdict_display"].upper()]
        if r["status"] != "valid":
            marks.append(_("INVALIDATED: {reason}").format(reason=r["invalidation_reason"]))
        if r["retest_of"]:
            marks.append(_("retest of #{id}").format(id=r["retest_of"]))
        if r["oos_deviation"]:
            marks.append(r["oos_deviation"])
        verifier = r["verified_by"]["username"] if r["verified_by"] else _("not verified")
        out.append(
            f"  #{r['id']} {r['attribute']:<24} {shown:<26} {r['criterion']:<28} {' | '.join(marks)}"
            f"  ({r['analyst']['username']} / {verifier})"
        )
        if r["raw_file_sha256"]:
            out.append(f"       {r['raw_file_name']} sha256 {r['raw_file_sha256']}")
    out.append(_("Deviations:"))
    for d in s["deviations"]:
        state = _("open") if d["status"] == "open" else _("closed")
        out.append(f"  {d['number']} [{state}] {d['source_display']}: {d['description']}")
        if d["resolution"]:
            out.append(f"     -> {d['resolution']}")
    out.append(_("Signatures:"))
    for sig in s["signatures"]:
        applies = (
            _("applies to the current record") if sig["valid"] else _("NOT valid for the current record")
        )
        out.append(f"  {sig['meaning']}: {sig['printed_name']} {_local(sig['signed_at'])} ({applies})")
    if s["status"] == "quarantine":
        out.append(_("Release gate:"))
        for p in s["release_gate"] or []:
            from evqms.i18n import bilingual

            out.append(f"  - {bilingual(p['message'])}")
        if s["releasable"]:
            out.append("  " + _("ready for release"))
    return "\n".join(out)


def _import(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.accounts.cli_auth import authenticated_actor
    from evqms.cliutil import emit, read_bytes, to_json
    from evqms.errors import InputError
    from evqms.lots.models import QCColumnMapping
    from evqms.lots.qc_import import import_qc_results, preview_qc_import

    data = read_bytes(args.file)  # a missing file is said before the password is asked for
    mapping = None
    if args.mapping:
        mapping = QCColumnMapping.objects.filter(name__iexact=args.mapping).first()
        if mapping is None:
            raise InputError(
                _("no saved column mapping named {name}").format(name=args.mapping), where="--mapping"
            )
    actor = authenticated_actor(args)  # the person who really acts, proved by password (no impersonation)
    if args.dry_run:
        report = preview_qc_import(actor=actor, filename=args.file, data=data, mapping=mapping)
    else:
        report = import_qc_results(actor=actor, filename=args.file, data=data, mapping=mapping)
    if args.format == "json":
        emit(to_json(report.to_dict()))
    else:
        emit(report.text())
    return 0 if report.ok else 1
