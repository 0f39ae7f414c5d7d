"""Reads for studies: lists, the NTA comparison and overlays, potency curves, control-chart trends
and stability shelf lives. The numbers come from `evqms.analytics`; this module only gathers the
data from the database and shapes it for pages, plots and the compliance engine."""

from __future__ import annotations

import math
from collections import OrderedDict

from evqms.core.display import result_value_text
from evqms.dossier.models import SpecAttribute
from evqms.errors import InputError
from evqms.i18n import _
from evqms.lots.models import QCResult
from evqms.studies.models import (
    BiodistributionStudy,
    DoseResponseStudy,
    NTAImport,
    PotencyAssay,
    PotencyRun,
    StabilityStudy,
)

# Lots whose QC is finished: released, quarantined, expired, and the rejected and recalled ones
# (charted and marked, never hidden: they are what a trend is for).
TREND_LOT_STATUSES = ("released", "quarantine", "expired", "recalled", "rejected")
TREND_MARKED_STATUSES = ("rejected", "recalled")
# A rejected lot failed its specification: an assignable cause, so it does not set the limits.
TREND_EXCLUDED_FROM_LIMITS = ("rejected",)
# Limits from fewer lots are too uncertain to call a point out of control (with k lots the
# moving-range sigma rests on k - 1 ranges; 10 lots is the least we chart limits from).
TREND_MIN_LOTS = 10
SIZE_LABELS = (
    ("mean", "Mean"),
    ("mode", "Mode"),
    ("sd", "SD"),
    ("d10", "D10"),
    ("d50", "D50"),
    ("d90", "D90"),
)


def overview() -> dict:
    trend_attributes = (
        SpecAttribute.objects.filter(kind="quantitative", specification__status="approved")
        .select_related("specification__product")
        .order_by("specification__product__code", "order", "code")
    )
    seen, trends = set(), []
    for a in trend_attributes:
        key = (a.specification.product.code, a.code)
        if key not in seen:
            seen.add(key)
            trends.append(
                {"product": a.specification.product, "code": a.code, "name": a.name, "unit": a.unit}
            )
    return {
        "assays": PotencyAssay.objects.select_related("product", "reference_lot"),
        "runs": potency_runs()[:20],
        "nta_imports": NTAImport.objects.select_related("lot", "imported_by")[:20],
        "stability": StabilityStudy.objects.select_related("product"),
        "biodistribution": BiodistributionStudy.objects.select_related("product"),
        "dose_response": DoseResponseStudy.objects.select_related("product"),
        "trends": trends,
    }


# --- NTA ------------------------------------------------------------------------------------


def nta_comparison(parsed: dict) -> list[dict]:
    """Rows of (figure, stated by the file, recomputed): what a reviewer checks first."""
    stated = parsed.get("stated") or {}
    rows = []
    conc = stated.get("concentration_per_ml")
    conc = conc.get("average") if isinstance(conc, dict) else conc
    rows.append(
        {
            "label": _("Concentration (particles/mL)"),
            "stated": conc,
            "recomputed": parsed.get("concentration_per_ml"),
        }
    )
    size_stated = stated.get("size_nm") or {}
    zetaview = parsed.get("instrument") == "ZetaView"
    for key, label in SIZE_LABELS:
        value = size_stated.get(key)
        if key == "d50" and value is None:
            value = stated.get("d50_number")
        text = _("{stat} size (nm)").format(stat=label)
        if key == "mode":
            # what "mode" is differs by instrument; say which one this is
            text = (
                _("Mode size (nm): centre of the most populated 5-nm class, not the report's smoothed peak")
                if zetaview
                else _("Mode size (nm): vertex of the parabola through the highest bin and its neighbours")
            )
        rows.append({"label": text, "stated": value, "recomputed": (parsed.get("size_nm") or {}).get(key)})
    volume = parsed.get("size_nm_volume")
    if zetaview and volume:
        rows.append(
            {
                "label": _("Volume-weighted D50 (nm)"),
                "stated": stated.get("d50_volume"),
                "recomputed": volume.get("d50"),
            }
        )
    for row in rows:
        row["agrees"] = None if row["stated"] is None or row["recomputed"] is None else not _mismatch(row)
    return rows


def _mismatch(row) -> bool:
    """Difference beyond the printed precision of a 3-significant-figure / 0.1-nm figure (the
    parser's own check, at the file's exact precision, decides the warnings; this marks rows)."""
    s, r = float(row["stated"]), float(row["recomputed"])
    return abs(s - r) > max(abs(s) * 5e-3, 0.05)


def nta_histogram(parsed: dict) -> dict:
    h = parsed.get("histogram") or {}
    return {"x": h.get("bin_centres_nm", []), "y": h.get("concentration_per_ml", [])}


def nta_overlay(nta: NTAImport, limit: int = 5) -> list[dict]:
    """This export's size distribution and those of the product's latest other exports."""
    others = (
        NTAImport.objects.filter(lot__product_id=nta.lot.product_id)
        .exclude(pk=nta.pk)
        .select_related("lot")
        .order_by("-imported_at", "-id")[:limit]
    )
    series = [{"label": f"{nta.lot.number} ({nta.original_name})", **nta_histogram(nta.parsed)}]
    for other in others:
        series.append({"label": f"{other.lot.number} ({other.original_name})", **nta_histogram(other.parsed)})
    return series


# --- potency --------------------------------------------------------------------------------


def potency_curves(run: PotencyRun, points: int = 120) -> dict:
    """Observed points and the fitted (parallel) curves on a log dose grid, per curve."""
    import numpy as np

    from evqms.analytics.potency_models import curve_value, get_model

    fitted = run.fitted
    model = get_model(fitted["model"])
    doses = [x for pts in fitted["points"].values() for x, _y in pts if x > 0]
    lo, hi = (min(doses), max(doses)) if doses else (1e-3, 1.0)
    grid = np.logspace(math.log10(lo / 2), math.log10(hi * 2), points)
    out = []
    for label in (fitted["reference_label"], fitted["test_label"]):
        theta = {k: float(v) for k, v in fitted["curves"][label].items()}
        theta = {**model.fixed, **theta}
        ys = curve_value(model, grid, theta)
        out.append(
            {
                "label": label,
                "role": "reference" if label == fitted["reference_label"] else "test",
                "points": [[x, y] for x, y in fitted["points"][label] if x > 0],
                "zero_dose": [y for x, y in fitted["points"][label] if x <= 0],
                "fit": [[float(x), float(y)] for x, y in zip(grid, ys, strict=True)],
            }
        )
    return {"curves": out}


# --- trend (control chart per specification attribute) -------------------------------------


def _spec_attribute(product, code):
    return (
        SpecAttribute.objects.filter(specification__product=product, code=code)
        .select_related("specification")
        .order_by("-specification__status", "-specification__version")
        .filter(specification__status="approved")
        .first()
        or SpecAttribute.objects.filter(specification__product=product, code=code)
        .order_by("-specification__version")
        .first()
    )


def trend(product, code: str, rules: str = "all") -> dict:
    """Individuals and moving-range (I-MR) chart of one specification attribute across the
    product's lots, in manufacture order, as qcc's "xbar.one" chart computes it: one value per
    lot (its reportable result, the latest valid one, so a retest replaces its original rather
    than forming a subgroup with it), sigma = mean(MR)/d2 with d2 = 1.128. Limits measure
    lot-to-lot variation; they are computed only from at least TREND_MIN_LOTS lots, and never
    from rejected lots (shown and marked, judged against the limits, not used to set them).
    Run rules flag points; capability is against the specification limits."""
    import numpy as np

    from evqms.analytics import spc

    attribute = _spec_attribute(product, code)
    if attribute is None:
        raise InputError(
            _("no specification attribute {code} for this product").format(code=code), where="code"
        )
    lots, censored = _reportable_lots(product, code)
    labels = list(lots)
    values = np.array([value for _lot, value in lots.values()], dtype=float)
    mask = np.array([lot.status not in TREND_EXCLUDED_FROM_LIMITS for lot, _v in lots.values()], dtype=bool)
    listed = [
        {
            "index": i + 1,
            "lot": lot.number,
            "status": lot.status,
            "marked": lot.status in TREND_MARKED_STATUSES,
            "manufactured_on": lot.manufactured_on.isoformat(),
            "value": float(v),
            "in_limits_basis": bool(m),
        }
        for i, ((lot, _value), v, m) in enumerate(zip(lots.values(), values, mask, strict=True))
    ]
    lsl = float(attribute.lower) if attribute.lower is not None else None
    usl = float(attribute.upper) if attribute.upper is not None else None
    base = {
        "attribute": attribute,
        "product": product,
        "lsl": lsl,
        "usl": usl,
        "lots": labels,
        "listed": listed,
        "minimum": TREND_MIN_LOTS,
        "basis_count": int(mask.sum()),
        "chart_kind": "i",
        "censored": censored,
        "censored_message": _censored_message(censored),
    }
    too_few = _too_few_for_limits(values, mask)
    if too_few:
        return {**base, "enough": False, "message": too_few}
    result = _individuals_chart(values, mask, labels, listed, lsl, usl, rules)
    return {**base, "enough": True, "chart": result, "out_of_control": spc.out_of_control(result)}


def _reportable_lots(product, code: str) -> tuple[OrderedDict, list[dict]]:
    """lot number -> (lot, its reportable value in the specification's unit), in manufacture
    order: the latest valid result of each lot replaces its earlier ones; and the lots whose
    reportable result is censored ("< 0.05", "> 1000"), which are not plotted: a bound is not a
    value, and plotting it (or half of it, as some substitute) would bias the centre line and the
    moving ranges the limits come from. Each is listed with its result so the chart says so."""
    results = (
        QCResult.objects.filter(
            lot__product=product,
            lot__status__in=TREND_LOT_STATUSES,
            attribute__code=code,
            status="valid",
            value_in_spec_unit__isnull=False,
        )
        .select_related("lot")
        .order_by("lot__manufactured_on", "lot__number", "tested_at", "recorded_at", "id")
    )
    latest: OrderedDict[str, QCResult] = OrderedDict()
    for r in results:
        latest[r.lot.number] = r  # later results replace earlier ones
    lots: OrderedDict[str, tuple] = OrderedDict()
    censored = []
    for number, r in latest.items():
        if r.censor:
            unit = (r.limits or {}).get("unit") or ""
            censored.append(
                {
                    "lot": number,
                    "censor": r.censor,
                    "shown": result_value_text(r.value_in_spec_unit, unit, censor=r.censor),
                }
            )
        else:
            lots[number] = (r.lot, float(r.value_in_spec_unit))
    return lots, censored


def _censored_message(censored: list[dict]) -> str:
    """'2 results below the limit of quantification not plotted: UCEV-24-002 (< 0.05 EU/mL), ...'."""
    parts = []
    below = [c for c in censored if c["censor"] == "<"]
    above = [c for c in censored if c["censor"] == ">"]
    listed = ", ".join(f"{c['lot']} ({c['shown']})" for c in censored)
    if below:
        parts.append(_("{n} results below the limit of quantification").format(n=len(below)))
    if above:
        parts.append(_("{n} results above the upper limit of quantification").format(n=len(above)))
    if not parts:
        return ""
    return _("{what} not plotted: {lots}").format(what="; ".join(parts), lots=listed)


def _too_few_for_limits(values, mask) -> str | None:
    """Why control limits cannot be estimated (too few lots, or no lot-to-lot variation), or None."""
    import numpy as np

    count = int(mask.sum())
    if count < TREND_MIN_LOTS:
        return _(
            "insufficient data: control limits need the results of at least {minimum} lots "
            "(not rejected); {count} so far"
        ).format(minimum=TREND_MIN_LOTS, count=count)
    if not np.any(np.diff(values[mask])):
        return _(
            "insufficient data: the {count} lots all have the same value, so the lot-to-lot "
            "variation (and the control limits) cannot be estimated"
        ).format(count=count)
    return None


def _individuals_chart(values, mask, labels, listed, lsl, usl, rules: str) -> dict:
    """The I-MR chart with limits from the lots in `mask`, its run rules and capability, each
    point carrying its lot's row and whether it is flagged."""
    import numpy as np

    from evqms.analytics import spc, spc_capability, spc_charts

    comp = spc_charts.individuals_chart(values, mask)
    extra = {"moving_range": spc_charts.moving_range_limits(values, mask)}
    phase1 = values[mask]
    centre = float(np.mean(phase1))
    capability = None
    if (lsl is not None or usl is not None) and comp.sigma > 0:
        capability = spc_capability.capability(phase1, centre, float(comp.sigma), lsl=lsl, usl=usl)
    result = spc.build_result(comp, mask, rules, capability, labels, [], extra)
    mr_beyond = set(extra["moving_range"]["beyond_limits"])
    for point, row in zip(result["points"], listed, strict=True):
        point.update(row)
        point["mr_beyond_limits"] = point["index"] in mr_beyond
        point["flagged"] = bool(point["beyond_limits"] or point["rules"])
    return result


# --- stability ------------------------------------------------------------------------------


def stability_data(study: StabilityStudy):
    """The study's results as analytics StabilityData (batches in lot-number order); raises
    InputError naming the batch when one has fewer than 3 time points."""
    import numpy as np

    from evqms.analytics.stability import MIN_TIME_POINTS, StabilityData

    rows = list(study.results.select_related("lot").order_by("lot__number", "time_months", "id"))
    batches = list(dict.fromkeys(r.lot.number for r in rows))
    if not batches:
        raise InputError(_("no results yet"), where="results")
    for name in batches:
        times = {r.time_months for r in rows if r.lot.number == name}
        if len(times) < MIN_TIME_POINTS:
            raise InputError(
                _("batch {name} has {n} time points; a regression needs at least 3").format(
                    name=name, n=len(times)
                ),
                where=name,
            )
    if len(batches) > 1 and len(rows) - 2 * len(batches) < 1:
        raise InputError(_("too few results to test poolability"), where="results")
    return StabilityData(
        np.array([float(r.time_months) for r in rows]),
        np.array([float(r.value) for r in rows]),
        np.array([batches.index(r.lot.number) for r in rows]),
        tuple(batches),
    )


def stability_analysis(study: StabilityStudy) -> dict:
    """ICH Q1E shelf life of the study by `evqms.analytics.stability`, and the plot series:
    points per batch, the chosen model's regression lines and the worst batch's confidence bound."""
    import numpy as np
    from scipy import stats as sps

    from evqms.analytics import stability

    data = stability_data(study)
    lower = float(study.lower) if study.lower is not None else None
    upper = float(study.upper) if study.upper is not None else None
    result = stability.shelf_life(data, lower=lower, upper=upper)
    k = len(data.batches)
    model = result["model"]
    fit = stability.model_fits(data)[model]  # the same fit the shelf life came from
    two_sided = lower is not None and upper is not None
    level = 1 - (1 - result["confidence"]) / 2 if two_sided else result["confidence"]
    tq = float(sps.t.ppf(level, fit.df))
    tmax = float(np.max(data.time))
    end = max(tmax, result["shelf_life"] or 0.0) * 1.25
    grid = np.linspace(0.0, end, 60)
    batch_series = []
    for j, name in enumerate(data.batches):
        sel = data.batch == j
        x0 = stability.design_matrix(model, grid, np.full(len(grid), j), k)
        mean = x0 @ fit.coef
        half = tq * np.sqrt(fit.mse * np.einsum("ij,jk,ik->i", x0, fit.xtx_inv, x0))
        batch_series.append(
            {
                "batch": name,
                "points": [
                    [float(t), float(v)] for t, v in zip(data.time[sel], data.value[sel], strict=True)
                ],
                "line": [[float(t), float(m)] for t, m in zip(grid, mean, strict=True)],
                "lower_bound": [[float(t), float(m)] for t, m in zip(grid, mean - half, strict=True)],
                "upper_bound": [[float(t), float(m)] for t, m in zip(grid, mean + half, strict=True)],
            }
        )
    decisive = result["worst_batch"] or data.batches[0]
    return {"result": result, "series": batch_series, "decisive_batch": decisive, "grid_end": end}


# --- lists for the API ------------------------------------------------------------------------


def nta_imports(*, product: str | None = None, lot: str | None = None):
    """NTA exports, newest first, optionally of one product (code) or one lot (number)."""
    qs = NTAImport.objects.select_related("lot__product", "imported_by")
    if product:
        qs = qs.filter(lot__product__code=product)
    if lot:
        qs = qs.filter(lot__number=lot)
    return qs


def potency_assays(*, product: str | None = None):
    qs = PotencyAssay.objects.select_related("product", "reference_lot")
    if product:
        qs = qs.filter(product__code=product)
    return qs


def potency_runs(*, product: str | None = None, lot: str | None = None, assay: int | None = None):
    """Potency runs, latest test first; `lot` matches the test lot (the reference lot is the assay's)."""
    qs = PotencyRun.objects.select_related("assay__product", "assay__reference_lot", "test_lot", "analyst")
    if product:
        qs = qs.filter(assay__product__code=product)
    if lot:
        qs = qs.filter(test_lot__number=lot)
    if assay is not None:
        qs = qs.filter(assay_id=assay)
    return qs


def stability_studies(*, product: str | None = None, lot: str | None = None):
    qs = StabilityStudy.objects.select_related("product").prefetch_related("lots")
    if product:
        qs = qs.filter(product__code=product)
    if lot:
        qs = qs.filter(lots__number=lot).distinct()
    return qs


def biodistribution_studies(*, product: str | None = None):
    qs = BiodistributionStudy.objects.select_related("product")
    return qs.filter(product__code=product) if product else qs


def dose_response_studies(*, product: str | None = None):
    qs = DoseResponseStudy.objects.select_related("product")
    return qs.filter(product__code=product) if product else qs


def stability_shelf_life(study: StabilityStudy) -> tuple[dict | None, str | None]:
    """(the ICH Q1E result, None) or (None, why it cannot be computed yet)."""
    from evqms.analytics.stability import shelf_life

    try:
        data = stability_data(study)
        lower = float(study.lower) if study.lower is not None else None
        upper = float(study.upper) if study.upper is not None else None
        return shelf_life(data, lower=lower, upper=upper), None
    except InputError as exc:
        return None, exc.message


# --- dashboard --------------------------------------------------------------------------------

CARD_DAYS = 30


def dashboard_card(user) -> dict | None:
    """Potency runs tested in the last 30 days that failed their acceptance range or parallelism:
    what a QC lead reviews first (each may lead to an OOS investigation of the test lot)."""
    if not user.has_perm("studies.view"):
        return None
    import datetime as dt

    from django.db.models import Q
    from django.utils import timezone

    from evqms.core.db import counts

    since = timezone.now() - dt.timedelta(days=CARD_DAYS)
    recent = PotencyRun.objects.filter(tested_at__gte=since)
    n = counts(
        runs=recent,
        failing=recent.filter(Q(within_acceptance=False) | Q(parallel=False)),
        warned=NTAImport.objects.filter(imported_at__gte=since, warnings_confirmed=True),
    )
    return {
        "title": _("Studies"),
        "value": n["failing"],
        "caption": _(
            "of {runs} potency runs in {days} days outside acceptance or not parallel; "
            "{nta} NTA exports recorded despite warnings"
        ).format(runs=n["runs"], days=CARD_DAYS, nta=n["warned"]),
        "url_name": "studies:index",
    }
