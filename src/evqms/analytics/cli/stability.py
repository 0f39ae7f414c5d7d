"""`evqms analyze stability`: ICH Q1E shelf life from a stability CSV (one row per result).

Exit codes: 0 analysis done (shelf life may be null with a warning when the bound never
crosses the specification), 1 when the confidence bound is outside the specification already
at time 0, 2 bad input. numpy/scipy are imported only when the command runs.
"""

from __future__ import annotations

import argparse

from evqms.cliutil import emit, read_bytes, to_json
from evqms.errors import InputError, location
from evqms.i18n import _


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "stability",
        help=_("shelf life by ICH Q1E (batch poolability, confidence bound of the mean)"),
        description=_(
            "Shelf life by ICH Q1E: poolability tests of slopes and intercepts at alpha 0.25, then the "
            "earliest time at which the one-sided 95% confidence bound of the mean regression line "
            "crosses the specification (two-sided 95% when both limits are given); worst batch decides."
        ),
        epilog=_(
            "Example: evqms analyze stability potency.csv --time Month --value Potency --batch Batch "
            "--lower 95 --batches b2,b5,b7 --format json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("csv", metavar="CSV", help=_("CSV file with a header row, one row per result"))
    p.add_argument("--time", required=True, metavar="COL", help=_("column of storage times"))
    p.add_argument("--value", required=True, metavar="COL", help=_("column of results"))
    p.add_argument("--batch", required=True, metavar="COL", help=_("column naming the batch"))
    p.add_argument("--lower", type=float, metavar="X", help=_("lower specification limit"))
    p.add_argument("--upper", type=float, metavar="Y", help=_("upper specification limit"))
    p.add_argument("--batches", metavar="LIST", help=_("comma-separated batches to analyse (default: all)"))
    p.add_argument(
        "--dids",
        choices=("pooled_mse", "individual"),
        default="pooled_mse",
        help=_("dids shelf life from the pooled-MSE model (LeBlond, default) or per-batch fits (JMP)"),
    )
    p.add_argument("--horizon", type=float, metavar="T", help=_("latest time searched for a crossing"))
    p.add_argument("--format", choices=("text", "json"), default="text", help=_("output format"))
    p.add_argument("-o", "--output", metavar="FILE", help=_("write the output to a file instead of stdout"))
    p.set_defaults(handler=run)


def _num(value, fmt=".4g") -> str:
    return "-" if value is None else format(value, fmt)


def render_text(r: dict) -> str:
    lines = [
        _("model: {model}").format(model=r["model"]),
        _("shelf life: {life}").format(life=_num(r["shelf_life"], ".4f")),
    ]
    if r["worst_batch"]:
        lines.append(_("worst batch: {batch}").format(batch=r["worst_batch"]))
    pool = r["poolability"]
    if pool:
        lines.append(
            _("slopes: F = {f}, p = {p}; intercepts: F = {fi}, p = {pi} (alpha {a})").format(
                f=_num(pool["F_slopes"]),
                p=_num(pool["p_slopes"]),
                fi=_num(pool["F_intercepts"]),
                pi=_num(pool["p_intercepts"]),
                a=pool["alpha"],
            )  # fmt: skip
        )
    for b in r["batches"]:
        lines.append(f"  {b}: {r['intercepts'][b]:.6g} {r['slopes'][b]:+.6g} t")
    lines.append(_("shelf life by model:"))
    for m, v in r["shelf_life_by_model"].items():
        lines.append(f"  {m}: {_num(v, '.4f')}")
    for w in r["warnings"]:
        lines.append(_("warning: {text}").format(text=w))
    return "\n".join(lines)


def run(args) -> int:
    from evqms.analytics import stability  # numpy/scipy only when the command runs

    if args.lower is None and args.upper is None:
        raise InputError(
            _("give a lower and/or an upper specification limit"), where=location(field="--lower/--upper")
        )
    batches = [b.strip() for b in args.batches.split(",") if b.strip()] if args.batches else None
    result = stability.analyze_table(
        read_bytes(args.csv), args.csv, time=args.time, value=args.value, batch=args.batch, batches=batches,
        lower=args.lower, upper=args.upper, dids_convention=args.dids, horizon=args.horizon,
    )  # fmt: skip
    emit(to_json(result) if args.format == "json" else render_text(result), args.output)
    return 1 if result["shelf_life"] == 0.0 else 0
