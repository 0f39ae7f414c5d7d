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
    group = p.add_mutually_exclusive_group(required=True)
    for flag, dest, metavar in OPTIONS:
        group.add_argument(flag, dest=dest, metavar=metavar)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("-o", "--output", help=_("write to this file instead of standard output"))
    p.set_defaults(handler=run)


def run(args) -> int:
    from evqms.djcli import setup_django

    setup_django()
    from evqms.cliutil import emit, to_json
    from evqms.trace.selectors import trace

    direction, code = next((dest, getattr(args, dest)) for _f, dest, _m in OPTIONS if getattr(args, dest))
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
