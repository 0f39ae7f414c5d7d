"""`evqms trace`: backward from an adverse event, administration or aliquot; forward from a donor,
cell bank, material lot or lot (recall). One database query per trace."""

from __future__ import annotations

from evqms.i18n import _

OPTIONS = (
    ("--lot", "lot", "LOT"),
    ("--aliquot", "aliquot", "CONTAINER"),
    ("--administration", "administration", "NUMBER"),
    ("--adverse-event", "adverse_event", "NUMBER"),
    ("--material-lot", "material_lot", "LOT_NUMBER"),
    ("--donor", "donor", "CODE"),
    ("--cell-bank", "cell_bank", "CODE"),
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "trace",
        help=_("trace a lot's lineage backward (to donor and materials) or forward (to patients)"),
        description=_(
            "Backward from an adverse event, an administration or an aliquot to the lot, cell-bank chain, "
            "donor, material lots and retention samples; forward from a donor, cell bank, material lot or lot "
            "to every lot, aliquot, administration and patient."
        ),
        epilog=_("Example: evqms trace --adverse-event AE-000001 --format json"),
    )
    # One of the options traces; the commands below read recalls instead (so none is required here).
    group = p.add_mutually_exclusive_group()
    for flag, dest, metavar in OPTIONS:
        group.add_argument(flag, dest=dest, metavar=metavar)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("-o", "--output", help=_("write to this file instead of standard output"))
    p.set_defaults(handler=run)
    commands = p.add_subparsers(dest="trace_command", metavar="COMMAND")
    listing = commands.add_parser(
        "recalls",
        help=_("list recalls with the shipped units each still follows (read only)"),
        description=_(
            "Recalls, newest first: lot, status, when and by whom, administrations found, shipped units "
            "and how many are still open. Times are local with their zone."
        ),
        epilog=_("Example: evqms trace recalls --open --format json"),
    )
    listing.add_argument("--open", action="store_true", help=_("only recalls that are still open"))
    listing.add_argument("--format", choices=["text", "json"], default="text")
    listing.add_argument("-o", "--output", help=_("write to this file instead of standard output"))
    listing.set_defaults(handler=run_recalls)
    show = commands.add_parser(
        "recall-show",
        help=_("show one recall: recipients, open units, held and destroyed stock (read only)"),
        description=_(
            "One recall as its page shows it: reason and signature, every recipient (administrations and "
            "shipments with their outcome), the shipped units still open, the units in stock on hold and "
            "those destroyed in-house."
        ),
        epilog=_("Example: evqms trace recall-show RC-00001"),
    )
    show.add_argument("number", metavar="RC-NUMBER")
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.add_argument("-o", "--output", help=_("write to this file instead of standard output"))
    show.set_defaults(handler=run_recall_show)


def run(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.cliutil import emit, to_json
    from evqms.errors import InputError
    from evqms.trace.selectors import trace

    chosen = [(dest, getattr(args, dest)) for _f, dest, _m in OPTIONS if getattr(args, dest, None)]
    if not chosen:
        raise InputError(
            _("give what to trace (--lot, --aliquot, ...) or a command: recalls, recall-show"), where="trace"
        )
    direction, code = chosen[0]
    result = trace(direction, code)
    if args.format == "json":
        emit(to_json(result.as_dict()), args.output)
    else:
        emit(render_text(result), args.output)
    return 0


def render_text(result) -> str:
    from evqms.core.timefmt import display_local
    from evqms.trace.selectors import KIND_ORDER, direction_labels, kind_labels

    names = kind_labels()
    way = _("backward") if result.backward else _("forward")
    lines = [
        _("Trace {way} from {kind} {code}").format(
            way=way, kind=direction_labels()[result.direction], code=result.start
        )
    ]
    for kind in KIND_ORDER:
        nodes = result.of(kind)
        if not nodes:
            continue
        lines.append("")
        lines.append(f"{names[kind]} ({len(nodes)})")
        for n in nodes:
            extra = []
            if kind == "cell_bank":
                extra.append(f"{n.label}, " + _("level {n}").format(n=n.level))
            if kind == "material_lot":
                extra.append(n.label or "")
                if n.animal_origin:
                    extra.append(_("animal origin: {species}").format(species=n.detail))
                if n.flag:
                    extra.append(_("biological"))
            if kind == "lot" and n.label:
                extra.append(n.label)
            if kind == "retention_sample" and n.day:
                extra.append(_("retain until {date}").format(date=n.day.isoformat()))
            if kind == "retention_sample" and n.status == "not_kept":
                extra.append(n.detail or "")
            if kind == "administration":
                extra.append(display_local(n.at))  # local time with its zone
                extra.append(_("physician {name}").format(name=n.detail))
            if kind == "adverse_event":
                extra.append(_("CTCAE grade {grade}").format(grade=n.detail))
            status = f" [{n.status_text}]" if n.status else ""  # the label in the reader's language
            lines.append(f"  {n.code}{status}" + (f"  {'; '.join(e for e in extra if e)}" if extra else ""))
    if not result.backward:
        recipients = result.recipients()
        lines.append("")
        lines.append(
            _("Recipients: {n} administrations, {p} patients").format(
                n=len(recipients), p=len({r["patient"] for r in recipients})
            )
        )
    return "\n".join(lines) + "\n"


# --- recalls (read only: recalling, confirming units and closing stay in the browser and the API) ---


def run_recalls(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.cliutil import emit, to_json
    from evqms.trace.selectors import recall_list, recall_summary

    rows = [recall_summary(r) for r in recall_list(status="open" if args.open else None)]
    if args.format == "json":
        emit(to_json(rows), args.output)
        return 0
    if not rows:
        emit(_("No open recalls.") if args.open else _("No recalls."), args.output)
        return 0
    lines = []
    for r in rows:
        lines.append(
            _("{number}  lot {lot}  [{status}]  {at}  by {by}").format(
                number=r["number"],
                lot=r["lot"],
                status=r["status_text"],
                at=_display(r["initiated_at"]),
                by=r["initiated_by"],
            )
        )
        lines.append(
            "  "
            + _("administrations {n}; shipped units {shipped}, still open {open}").format(
                n=r["administrations"], shipped=r["shipped_units"], open=r["open_units"]
            )
        )
    emit("\n".join(lines) + "\n", args.output)
    return 0


def _display(iso: str | None) -> str:
    from evqms.core.timefmt import display_local

    return display_local(iso) if iso else ""


def run_recall_show(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.cliutil import emit, to_json
    from evqms.errors import InputError
    from evqms.trace.models import Recall
    from evqms.trace.selectors import recall_detail

    number = (args.number or "").strip()
    recall = (
        Recall.objects.select_related("lot", "initiated_by", "signature", "close_signature")
        .filter(number=number)
        .first()
    )
    if recall is None:
        raise InputError(_("unknown recall {number}").format(number=number), where="RC-NUMBER")
    record = recall_detail(recall)
    if args.format == "json":
        emit(to_json(record), args.output)
        return 0
    emit(render_recall(record), args.output)
    return 0


def render_recall(r: dict) -> str:
    lines = [
        _("Recall {number} of lot {lot} [{status}]").format(
            number=r["number"], lot=r["lot"], status=r["status_text"]
        ),
        _("Reason: {reason}").format(reason=r["reason"]),
        _("Initiated {at} by {by} (signature {hash})").format(
            at=_display(r["initiated_at"]), by=r["initiated_by"], hash=r["signature"]["record_hash"][:12]
        ),
    ]
    if r["closed_at"]:
        lines.append(
            _("Closed {at} by {by}: {summary}").format(
                at=_display(r["closed_at"]), by=r["closed_by"], summary=r["close_reason"]
            )
        )
    lines += ["", _("Recipients ({n})").format(n=len(r["recipients"]))]
    for row in r["recipients"]:
        place = f" — {row['place']}" if row["place"] else ""
        lines.append(
            f"  {row['kind_text']} {row['reference']}  {_display(row['at'])}  {row['recipient']}{place}  "
            f"{', '.join(row['aliquots'])}  [{row['outcome_text']}]"
        )
    lines += ["", _("Shipped units still open ({n})").format(n=len(r["open"]))]
    for u in r["open"]:
        lines.append(
            f"  {u['aliquot']}  {u['shipment']}  {u['consignee_name']} ({u['consignee']})  {_display(u['shipped_at'])}"
        )
    lines += ["", _("Units in stock on hold ({n})").format(n=len(r["held_stock"]))]
    for h in r["held_stock"]:
        lines.append(f"  {h['aliquot']}" + (f"  {h['location']}" if h["location"] else ""))
    if r["destroyed"]:
        lines += ["", _("Destroyed in-house ({n})").format(n=len(r["destroyed"]))]
        for d in r["destroyed"]:
            lines.append(
                f"  {d['aliquot']}  {_display(d['destroyed_at'])}  {d['destroyed_by']}  {d['reason']}"
            )
    return "\n".join(lines) + "\n"
