"""`evqms analyze spc`: a control chart (X-bar, R, S, individuals, p, np, c, u) from a CSV file.

Exit codes: 0 in control, 1 when a point is beyond the limits or a run rule fires (a signal
the user must investigate), 2 bad input. numpy is imported only when the command runs.
"""

from __future__ import annotations

import argparse

from evqms.cliutil import emit, read_bytes, to_json
from evqms.i18n import _

CHARTS = ("xbar", "r", "s", "i", "p", "np", "c", "u")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "spc",
        help=_("control chart with limits, run rules and capability"),
        description=_(
            "Shewhart control chart from a CSV file, computed as R's qcc does: phase I limits from the "
            "calibration subgroups, phase II monitoring of the rest, Western Electric and Nelson run "
            "rules, and process capability when specification limits are given."
        ),
        epilog=_(
            "Example: evqms analyze spc rings.csv --chart xbar --value diameter --subgroup sample "
            "--calibration 1-25 --lsl 73.95 --usl 74.05 --format json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("csv", metavar="CSV", help=_("CSV file with a header row"))
    p.add_argument("--chart", required=True, choices=CHARTS, help=_("chart type"))
    p.add_argument("--value", required=True, metavar="COL", help=_("column of measured values or counts"))
    p.add_argument("--subgroup", metavar="COL", help=_("column naming the subgroup of each row (xbar, r, s)"))
    p.add_argument("--size", metavar="COL", help=_("column of sample sizes (p, np, u; optional for c)"))
    p.add_argument(
        "--calibration",
        metavar="ROWS",
        help=_("phase I subgroups or rows, 1-based, e.g. 1-25 (default: all)"),
    )
    p.add_argument("--lsl", type=float, metavar="X", help=_("lower specification limit"))
    p.add_argument("--usl", type=float, metavar="Y", help=_("upper specification limit"))
    p.add_argument(
        "--target", type=float, metavar="T", help=_("target value (default: midpoint of the limits)")
    )
    p.add_argument("--nsigmas", type=float, default=3.0, help=_("width of the control limits in sigmas"))
    p.add_argument(
        "--rules", choices=("we", "nelson", "all"), default="all", help=_("run rules to apply (default: all)")
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help=_("output format"))
    p.add_argument("-o", "--output", metavar="FILE", help=_("write the output to a file instead of stdout"))
    p.set_defaults(handler=run)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return f"{min(value):.6g} .. {max(value):.6g} " + _("(varies with subgroup size)")
    return f"{value:.7g}"


def render_text(result: dict) -> str:
    lines = [
        _("{chart} chart").format(chart=result["chart"]),
        _("centre: {value}").format(value=_fmt(result["center"])),
        _("limits: {lcl} to {ucl} ({k} sigma)").format(
            lcl=_fmt(result["lcl"]), ucl=_fmt(result["ucl"]), k=_fmt(result["nsigmas"])
        ),
        _("sigma: {value} ({method})").format(value=_fmt(result["sigma"]), method=result["std_dev_method"]),
        _("calibration (phase I): {n} subgroups").format(n=len(result["calibration"])),
    ]
    beyond = result["beyond_limits"]
    lines.append(
        _("beyond limits: {points}").format(points=", ".join(map(str, beyond)) if beyond else _("none"))
    )
    for name, points in result["rules"].items():
        if points:
            lines.append(
                "  {name} ({text}): {points}".format(
                    name=name, text=result["rule_descriptions"][name], points=", ".join(map(str, points))
                )
            )
    cap = result.get("capability")
    if cap:
        lines.append(
            _("capability (n = {n}, {conf:.0%} intervals):").format(n=cap["n"], conf=cap["confidence"])
        )
        for key in ("Cp", "Cp_l", "Cp_u", "Cp_k", "Cpm"):
            c = cap[key]
            if c:
                lines.append(f"  {key:5s} {c['value']:.4g} [{c['lower']:.4g}, {c['upper']:.4g}]")
    for warning in result["warnings"]:
        lines.append(_("warning: {text}").format(text=warning))
    return "\n".join(lines)


def run(args) -> int:
    from evqms.analytics import spc  # numpy/scipy only when the command runs

    data = read_bytes(args.csv)
    result = spc.analyze_table(
        data, args.csv, chart=args.chart, value=args.value, subgroup=args.subgroup, size=args.size,
        calibration=args.calibration, lsl=args.lsl, usl=args.usl, target=args.target,
        nsigmas=args.nsigmas, rules=args.rules,
    )  # fmt: skip
    emit(to_json(result) if args.format == "json" else render_text(result), args.output)
    return 1 if spc.out_of_control(result) else 0
