"""`evqms analyze nta FILE... [--format text|json]`: NTA exports, recomputed and checked.

Exit code 0 when every file was read and its own figures reproduced, 1 when a file tracked no
particles or states figures the recomputation does not reproduce (a finding to act on), 2 on a
file that cannot be read (one line naming the file and line).
"""

from __future__ import annotations

import unicodedata

from evqms.cliutil import emit, read_bytes, to_json
from evqms.i18n import _, bilingual

SIZE_LABELS = ("mean", "mode", "sd", "d10", "d50", "d90")

# Short labels shared by many areas are kept here as bilingual pairs rather than catalogue
# entries, so that the merged catalogue cannot get two translations of one short word.
LABELS = {
    "instrument": {"en": "Instrument", "ja": "装置"},
    "videos": {"en": "Videos", "ja": "動画数"},
    "traces": {"en": "Traces", "ja": "トレース数"},
    "dilution": {"en": "Dilution", "ja": "希釈倍率"},
    "not_recorded": {"en": "not recorded", "ja": "記録なし"},
    "mean": {"en": "Mean", "ja": "平均"},
    "mode": {"en": "Mode", "ja": "最頻値"},
    "sd": {"en": "SD", "ja": "SD"},
    "se": {"en": "SE", "ja": "SE"},
    "size": {"en": "Size (nm)", "ja": "粒子径 (nm)"},
    "warning": {"en": "WARNING", "ja": "警告"},
    "note": {"en": "Note", "ja": "注記"},
    "per_ml": {"en": "particles/mL", "ja": "粒子/mL"},
    "video": {"en": "video {n}", "ja": "動画 {n}"},
}


def label(key: str) -> str:
    return bilingual(LABELS[key])


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "nta",
        help=_("NTA exports (NanoSight, ZetaView): concentration and size statistics"),
        description=_(
            "Read Malvern NanoSight ExperimentSummary.csv (NTA 3.2-3.4) and Particle Metrix ZetaView .txt "
            "exports, recompute concentration and size statistics from the histogram and warn where the "
            "file's own figures differ."
        ),
        epilog=_("Example: evqms analyze nta ExperimentSummary.csv zetaview_size.txt --format json"),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help=_("NTA export files"))
    p.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help=_("output format: text (a readable summary) or json"),
    )
    p.add_argument(
        "-o", "--output", metavar="PATH", help=_("write the NTA report to this file instead of the screen")
    )
    p.set_defaults(handler=run)


def run(args) -> int:
    from evqms.analytics.nta import parse_nta

    results = [parse_nta(read_bytes(path), str(path)) for path in args.files]
    if args.format == "json":
        dicts = [r.to_dict() for r in results]
        emit(to_json(dicts[0] if len(dicts) == 1 else dicts) + "\n", args.output)
    else:
        emit("\n\n".join(render_text(r) for r in results) + "\n", args.output)
    return 1 if any(r.no_particles or r.warnings for r in results) else 0


def _width(text: str) -> int:
    """Columns a string takes in a terminal (Japanese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _rjust(text: str, width: int) -> str:
    return " " * (width - _width(text)) + text


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def render_text(result) -> str:
    """A short report of one file in the current language."""
    lines = [f"{result.file}"]
    software = result.software if result.software.startswith(result.instrument) else None
    shown = software or f"{result.instrument} ({result.software})"
    lines.append(f"  {label('instrument')}: {shown}")
    if result.videos is not None:
        lines.append(f"  {label('videos')}: {result.videos}")
    if result.extra.get("traces") is not None:
        lines.append(f"  {label('traces')}: {result.extra['traces']}")
    lines.append(
        f"  {label('dilution')}: {_num(result.dilution, 'g') if result.dilution is not None else label('not_recorded')}"
    )
    if result.no_particles:
        lines.append(f"  {_('NO PARTICLES TRACKED: no concentration or size result')}")
    else:
        conc = f"{result.concentration_per_ml:.3g}"
        if result.concentration_per_ml_se is not None:
            conc += f" ± {result.concentration_per_ml_se:.3g} ({label('se')})"
        lines.append(f"  {_('Concentration (original sample)')}: {conc} {label('per_ml')}")
        measured = result.extra.get("concentration_per_ml_measured")
        if measured is not None and result.dilution:
            lines.append(
                f"  {_('Concentration (as measured, before the dilution)')}: {measured:.3g} {label('per_ml')}"
            )
        header = ["", label("mean"), label("mode"), label("sd"), "D10", "D50", "D90"]
        rows = [[label("size")] + [_num(getattr(result.size_nm, k), ".1f") for k in SIZE_LABELS]]
        if result.size_nm_se is not None:
            rows.append([label("se")] + [_num(getattr(result.size_nm_se, k), ".1f") for k in SIZE_LABELS])
        for v in result.per_video or []:
            rows.append(
                [label("video").format(n=v.index)] + [_num(getattr(v.size_nm, k), ".1f") for k in SIZE_LABELS]
            )
        widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for r in [header, *rows]:
            lines.append("  " + "  ".join(_rjust(str(c), w) for c, w in zip(r, widths, strict=True)).rstrip())
    for w in result.warnings:
        lines.append(f"  {label('warning')}: {w}")
    for n in result.notes:
        lines.append(f"  {label('note')}: {n}")
    return "\n".join(lines)
