"""Numeric release defaults of the guidance catalogue section 8 (configurable; each with its source)."""

from __future__ import annotations

from decimal import Decimal

from evqms.guidance import quantities, vocabulary
from evqms.guidance.checks.base import (
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    CheckContext,
    CheckResult,
    attributes_of,
    by_count,
    check,
    no_released_lot,
    ref,
    results_for,
    unit_reason,
    unit_step,
)
from evqms.guidance.checks.characterisation import particle_protein_ratio, ratio_unit_reason
from evqms.guidance.evidence import EvidenceSnapshot, Lot, SpecAttribute
from evqms.guidance.text import bi, category_label, label

NG_PER_DOSE = "ng/dose"

INTRATHECAL = "intrathecal"  # the route code (vocab/routes.yaml) K = 0.2 EU/kg applies to


def _lots_by_id(snap: EvidenceSnapshot) -> dict[str, Lot]:
    """The lots by id, the first of a repeated id kept (as a scan of the list would find it)."""
    index: dict[str, Lot] = {}
    for lot in snap.lots:
        index.setdefault(lot.id, lot)
    return index


def _endotoxin_eu_per_ml(
    snap: EvidenceSnapshot,
    lot_id: str,
    lots: dict[str, Lot] | None = None,
    attributes: list[SpecAttribute] | None = None,
) -> Decimal | None:
    """The lot's latest endotoxin result in EU/mL, converted from the unit it is reported in
    (EU/L, EU/uL ...); UnitMismatch when that unit is not an endotoxin concentration. `lots` and
    `attributes` are the index and the endotoxin attributes when the caller built them once (a
    check over every administration would otherwise scan every lot for each)."""
    lot = (lots if lots is not None else _lots_by_id(snap)).get(lot_id)
    if lot is None:
        return None
    if attributes is None:
        attributes = attributes_of(snap, "endotoxin", None)
    results = [(a, r) for a in attributes for r in results_for(lot, a) if r.value is not None]
    if not results:
        return None
    attribute, result = results[-1]
    # "< 0.05 EU/mL" bounds the endotoxin received from above: judged at its bound, the dose per
    # kg is the most it can be, so a pass holds; "> ..." bounds nothing useful and is not computed.
    return quantities.result_value(result, attribute, quantities.ENDOTOXIN_EU_PER_ML, bound_ok="<")


def _is_intrathecal(route: str) -> bool:
    return (vocabulary.match("route", route) or route) == INTRATHECAL


@check("endotoxin_k_over_m")
def endotoxin_k_over_m(
    snap: EvidenceSnapshot, ctx: CheckContext, k: float = 5.0, k_intrathecal: float = 0.2
) -> CheckResult:
    """USP <85>: endotoxin received per kg (result EU/mL x volume / body weight) must not exceed K."""
    administrations = snap.administrations
    if not administrations:
        return CheckResult(NOT_APPLICABLE, [bi("No administration is recorded.")])
    reasons, steps, evidence, good = [], [], [], 0
    lots, endotoxin = _lots_by_id(snap), attributes_of(snap, "endotoxin", None)
    for adm in administrations:
        evidence.append(ref("administration", adm.id))
        limit = Decimal(str(k_intrathecal if _is_intrathecal(adm.route) else k))
        try:
            eu_per_ml = _endotoxin_eu_per_ml(snap, adm.lot, lots, endotoxin)
        except quantities.UnitMismatch as mismatch:
            reasons.append(unit_reason(adm.lot, category_label("endotoxin"), mismatch))
            steps.append(unit_step(adm.lot, category_label("endotoxin")))
            continue
        if eu_per_ml is None or adm.volume_ml is None or not adm.body_weight_kg:
            reasons.append(
                bi(
                    "Administration {id}: endotoxin per kg cannot be computed (lot result, volume or body weight missing).",
                    id=adm.id,
                )
            )
            steps.append(
                bi(
                    "Record the endotoxin result of lot {lot}, the volume given and the body weight.",
                    lot=adm.lot,
                )
            )
            continue
        received = eu_per_ml * adm.volume_ml / adm.body_weight_kg
        if received <= limit:
            good += 1
        else:
            reasons.append(
                bi(
                    "Administration {id}: {received} EU/kg exceeds K = {k} EU/kg.",
                    id=adm.id,
                    received=f"{received:.3f}",
                    k=limit,
                )
            )
            steps.append(
                bi(
                    "Investigate administration {id} and lower the endotoxin limit of lot release (K/M).",
                    id=adm.id,
                )
            )
    if good == len(administrations):
        reasons.insert(
            0,
            bi(
                "Every administration stays within K/M ({k} EU/kg; intrathecal {kit} EU/kg).",
                k=k,
                kit=k_intrathecal,
            ),
        )
    return CheckResult(by_count(good, len(administrations)), reasons, evidence, steps)


def _size_results(snap: EvidenceSnapshot, lot):
    return [r for a in attributes_of(snap, "size_distribution", None) for r in results_for(lot, a)]


@check("size_window")
def size_window(
    snap: EvidenceSnapshot, ctx: CheckContext, lower_nm: float, upper_nm: float, min_fraction: float
) -> CheckResult:
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    lo, hi, need = Decimal(str(lower_nm)), Decimal(str(upper_nm)), Decimal(str(min_fraction))
    reasons, steps, good = [], [], 0
    for lot in lots:
        fractions = [
            f.fraction
            for r in _size_results(snap, lot)
            for f in r.size_fractions
            if f.lower_nm == lo and f.upper_nm == hi
        ]
        if fractions and fractions[-1] > need:
            good += 1
        elif fractions:
            reasons.append(
                bi(
                    "Lot {lot}: {fraction} of particles within {lo}-{hi} nm (needs > {need}).",
                    lot=lot.id,
                    fraction=fractions[-1],
                    lo=lower_nm,
                    hi=upper_nm,
                    need=min_fraction,
                )
            )
            steps.append(bi("Investigate the size distribution of lot {lot} under a deviation.", lot=lot.id))
        else:
            reasons.append(
                bi(
                    "Lot {lot}: no fraction of particles reported for {lo}-{hi} nm.",
                    lot=lot.id,
                    lo=lower_nm,
                    hi=upper_nm,
                )
            )
            steps.append(
                bi(
                    "Report the fraction of particles within {lo}-{hi} nm from the size distribution.",
                    lo=lower_nm,
                    hi=upper_nm,
                )
            )
    if good == len(lots):
        reasons.insert(
            0,
            bi(
                "All {n} released lots have more than {need} of particles within {lo}-{hi} nm.",
                n=good,
                need=min_fraction,
                lo=lower_nm,
                hi=upper_nm,
            ),
        )
    return CheckResult(by_count(good, len(lots)), reasons, [ref("lot", lot.id) for lot in lots], steps)


@check("size_peak_below")
def size_peak_below(snap: EvidenceSnapshot, ctx: CheckContext, upper_nm: float) -> CheckResult:
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    limit = Decimal(str(upper_nm))

    def ok(lot):
        results = _size_results(snap, lot)
        return (
            bool(results)
            and results[-1].mode_nm is not None
            and results[-1].mode_nm < limit
            and (results[-1].d90_nm is None or results[-1].d90_nm < limit)
        )

    bad = [lot.id for lot in lots if not ok(lot)]
    reasons = (
        [
            bi(
                "Lots whose size peak or 90th percentile is not below {limit} nm (or not reported): {lots}.",
                limit=upper_nm,
                lots=", ".join(bad),
            )
        ]
        if bad
        else [bi("All {n} released lots peak below {limit} nm.", n=len(lots), limit=upper_nm)]
    )
    return CheckResult(
        by_count(len(lots) - len(bad), len(lots)),
        reasons,
        [ref("lot", lot.id) for lot in lots],
        [bi("Report the mode and d90 of the size distribution.")] if bad else [],
    )


@check("particle_content_vs_label")
def particle_content_vs_label(
    snap: EvidenceSnapshot, ctx: CheckContext, tolerance: float = 0.2
) -> CheckResult:
    labelled = snap.product.labelled_particles_per_ml
    if labelled is None:
        return CheckResult(
            NOT_MET,
            [bi("The product states no labelled particle content.")],
            [],
            [bi("State the labelled particle concentration (particles/mL).")],
        )
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    tol = Decimal(str(tolerance))
    reasons, steps, good = [], [], 0
    for lot in lots:
        results = [
            (a, r)
            for a in attributes_of(snap, "particle_concentration", None)
            for r in results_for(lot, a)
            if r.value is not None
        ]
        try:
            # The label is in particles/mL; a result in particles/uL or 1e9 particles/mL is converted.
            value = (
                quantities.result_value(results[-1][1], results[-1][0], quantities.PARTICLES_PER_ML)
                if results
                else None
            )
        except quantities.UnitMismatch as mismatch:
            reasons.append(unit_reason(lot.id, category_label("particle_concentration"), mismatch))
            steps.append(unit_step(lot.id, category_label("particle_concentration")))
            continue
        if value is not None and abs(value - labelled) <= tol * labelled:
            good += 1
        else:
            reasons.append(
                bi(
                    "Lot {lot}: particle content not within the labelled amount ± {pct} %.",
                    lot=lot.id,
                    pct=int(tolerance * 100),
                )
            )
    if good == len(lots):
        reasons.insert(
            0,
            bi(
                "All {n} released lots are within the labelled particle content ± {pct} %.",
                n=good,
                pct=int(tolerance * 100),
            ),
        )
    if good + len(steps) < len(lots):
        steps.append(bi("Adjust the fill or the label so that content matches within tolerance."))
    return CheckResult(by_count(good, len(lots)), reasons, [ref("lot", lot.id) for lot in lots], steps)


# Webber & Clayton 2013 (S23): particles per microgram protein. Numbers RECALLED in the catalogue.
PURITY_CLASSES = (
    (Decimal("3e10"), "high"),
    (
        Decimal("2e9"),
        "low",
    ),  # 2e9-2e10 low purity; 2e10-3e10 falls between the published classes: taken as low
    (Decimal("1.5e9"), "intermediate"),  # 1.5e9-2e9 lies between "impure" and "low": not classed by S23
)
PURITY_ORDER = ["impure", "intermediate", "low", "high"]
PURITY_LABELS = {
    "high": label("high purity", "高純度"),
    "low": label("low purity", "低純度"),
    "intermediate": label("unclassified (between impure and low)", "分類外 (不純と低純度の間)"),
    "impure": label("impure", "不純"),
}


def purity_class(ratio: Decimal) -> str:
    for bound, name in PURITY_CLASSES:
        if ratio >= bound:
            return name
    return "impure"


@check("purity_class")
def purity_class_check(snap: EvidenceSnapshot, ctx: CheckContext, minimum: str = "low") -> CheckResult:
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    reasons, steps, good = [], [], 0
    for lot in lots:
        try:
            ratio = particle_protein_ratio(snap, lot)
        except quantities.UnitMismatch as mismatch:
            reasons.append(ratio_unit_reason(lot.id, mismatch))
            steps.append(
                bi("Record the particle and protein results of lot {lot} in convertible units.", lot=lot.id)
            )
            continue
        if ratio is None:
            reasons.append(
                bi(
                    "Lot {lot}: the particle-to-protein ratio cannot be computed (particle or protein result missing).",
                    lot=lot.id,
                )
            )
            steps.append(bi("Measure both particle concentration and protein of lot {lot}.", lot=lot.id))
            continue
        cls = purity_class(ratio)
        reasons.append(
            bi(
                "Lot {lot}: {ratio} particles/µg protein ({cls}).",
                lot=lot.id,
                ratio=f"{ratio:.2E}",
                cls=PURITY_LABELS[cls],
            )
        )
        if PURITY_ORDER.index(cls) >= PURITY_ORDER.index(minimum):
            good += 1
        else:
            steps.append(
                bi("Improve the purification of lot {lot} (particle-to-protein ratio too low).", lot=lot.id)
            )
    return CheckResult(by_count(good, len(lots)), reasons, [ref("lot", lot.id) for lot in lots], steps)


@check("residual_dna_per_dose")
def residual_dna_per_dose(snap: EvidenceSnapshot, ctx: CheckContext, max_ng: float = 10.0) -> CheckResult:
    attributes = attributes_of(snap, "residual_dna", None)
    if not attributes:
        return CheckResult(
            NOT_MET,
            [bi("No residual host-cell DNA attribute (ng/dose) is specified.")],
            [],
            [bi("Specify residual host-cell DNA per dose (WHO: ≤ 10 ng/dose for continuous cell lines).")],
        )
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    limit = Decimal(str(max_ng))
    bad, unit_reasons = [], []
    for lot in lots:
        ok = False
        for a in attributes:
            for r in results_for(lot, a):
                try:
                    # "< 0.05 ng/dose" is at most its bound: within the limit when the bound is.
                    ng = quantities.result_value(r, a, NG_PER_DOSE, bound_ok="<")
                except quantities.UnitMismatch as mismatch:
                    unit_reasons.append(unit_reason(lot.id, category_label("residual_dna"), mismatch))
                    continue
                ok = ok or (ng is not None and ng <= limit)
        if not ok:
            bad.append(lot.id)
    reasons = (
        [bi("Lots without residual DNA ≤ {limit} ng/dose: {lots}.", limit=max_ng, lots=", ".join(bad))]
        + unit_reasons
        if bad
        else [bi("All {n} released lots have residual DNA ≤ {limit} ng/dose.", n=len(lots), limit=max_ng)]
    )
    return CheckResult(
        MET if not bad else NOT_MET,
        reasons,
        [ref("lot", lot.id) for lot in lots],
        [bi("Test residual host-cell DNA per dose on every released lot.")] if bad else [],
    )
