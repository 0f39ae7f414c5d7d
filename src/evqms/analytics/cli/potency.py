"""`evqms analyze potency`: dose-response fit, ED values, relative potency (drc's figures)."""

from __future__ import annotations

from evqms.errors import InputError, location
from evqms.i18n import _

MODEL_CHOICES = ("LL4", "LL3", "LL2.4", "W1.4", "W2.4")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "potency",
        help=_("fit dose-response curves (drc models), ED values and relative potency"),
        description=_(
            "Fit 4- or 3-parameter log-logistic or Weibull dose-response models by least squares "
            "(as R's drc), with standard errors from the full Hessian, ED values with delta-method "
            "intervals, the parallelism F test and relative potency against a reference curve."
        ),
        epilog=_(
            "Example: evqms analyze potency plate.csv --dose conc --response signal --curve lot --reference REF"
        ),
    )
    p.add_argument("csv", metavar="CSV", help=_("CSV file with one row per well"))
    p.add_argument("--dose", required=True, metavar="COL", help=_("column holding the dose"))
    p.add_argument("--response", required=True, metavar="COL", help=_("column holding the response"))
    p.add_argument("--curve", metavar="COL", help=_("column naming the curve (lot) of each row"))
    p.add_argument("--reference", metavar="NAME", help=_("reference curve (default: the first in the file)"))
    p.add_argument(
        "--model",
        default="LL4",
        metavar="MODEL",
        help=_("model: LL4, LL3, LL2.4, W1.4 or W2.4 (default LL4)"),
    )
    p.add_argument(
        "--shared",
        default="",
        metavar="b,c,d",
        help=_("parameters common to all curves, e.g. d for a shared upper asymptote"),
    )
    p.add_argument(
        "--ed", default="10,50,90", metavar="P,...", help=_("ED levels in percent (default 10,50,90)")
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help=_("output format"))
    p.add_argument("-o", "--output", metavar="FILE", help=_("write the result to FILE instead of stdout"))
    p.set_defaults(handler=run)


def _ed_levels(text: str) -> tuple[float, ...]:
    levels = []
    for part in text.split(","):
        part = part.strip()
        try:
            value = float(part)
        except ValueError:
            raise InputError(
                _("not a number: {value!r}").format(value=part), where=location(field="--ed")
            ) from None
        if not 0 < value < 100:
            raise InputError(_("ED levels must lie strictly between 0 and 100"), where=location(field="--ed"))
        levels.append(value)
    return tuple(dict.fromkeys(levels))


def run(args) -> int:
    from evqms.analytics.potency import fit_dose_response, get_model, read_potency_csv
    from evqms.cliutil import emit, to_json

    model = get_model(args.model)
    if model is None:
        raise InputError(
            _("unknown model {name}; choose one of {names}").format(
                name=args.model, names=", ".join(MODEL_CHOICES)
            ),
            where=location(field="--model"),
        )
    levels = _ed_levels(args.ed)
    shared = tuple(s.strip() for s in args.shared.split(",") if s.strip())
    for name in shared:
        if name not in model.params:
            raise InputError(
                _("unknown shared parameter {name}; model {model} has {params}").format(
                    name=name, model=model.name, params=", ".join(model.params)
                ),
                where=location(field="--shared"),
            )
    data = read_potency_csv(args.csv, args.dose, args.response, args.curve)
    fit = fit_dose_response(data.doses, data.responses, data.curves, model, shared, source=data.source)
    if args.reference is not None and args.reference not in fit.curves:
        raise InputError(
            _("reference curve {name} not found; curves are {names}").format(
                name=args.reference, names=", ".join(fit.curves)
            ),
            where=location(file=data.source, column=args.curve),
        )
    result = fit.to_dict(ed_levels=levels, reference=args.reference)
    emit(to_json(result) if args.format == "json" else render_text(result), args.output)
    return 0


def _ci(pair) -> str:
    return "-" if pair is None else f"[{pair[0]:.5g}, {pair[1]:.5g}]"


def render_text(result: dict) -> str:
    lines = [
        _("Model {model}: {n} observations, residual SE {se:.7g} on {df} degrees of freedom").format(
            model=result["model"], n=result["n"], se=result["residual_se"], df=result["df"]
        ),
        "",
        _("Parameters (estimate, standard error)"),
    ]
    for curve, params in result["curves"].items():
        for name, v in params.items():
            lines.append(f"  {curve:>12}  {name}  {v['estimate']:12.6g}  {v['se']:10.5g}")
    lines += ["", _("Effective doses (estimate, standard error, 95 % confidence interval)")]
    for curve, eds in result["ed"].items():
        for level, v in eds.items():
            lines.append(
                f"  {curve:>12}  ED{level:<4} {v['estimate']:12.6g}  {v['se']:10.5g}  {_ci(v['ci'])}"
            )
    if result["comparisons"]:
        lines += ["", _("Relative potency ED50(reference)/ED50(curve): estimate, SE, delta CI, Fieller CI")]
        for c in result["comparisons"]:
            rp = c["relative_potency"]
            lines.append(
                f"  {c['curve']:>12} / {c['reference']}:  {rp['estimate']:.5g}  {rp['se']:.4g}  "
                f"{_ci(rp['delta_ci'])}  {_ci(rp['fieller_ci'])}"
            )
    par = result["parallelism"]
    if par is not None:
        lines += [
            "",
            _(
                "Parallelism (common vs separate slopes b): F = {F:.4g} on {df1} and {df2} df, p = {p:.4g}"
            ).format(**par),
        ]
    return "\n".join(lines)
