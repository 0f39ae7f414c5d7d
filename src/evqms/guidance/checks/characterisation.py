"""MISEV 2018/2023, ISEV/ISCT MSC-sEV and MFDS characterisation checks (per released lot)."""

from __future__ import annotations

from decimal import Decimal

from evqms.guidance import quantities
from evqms.guidance.checks.base import (
    MET,
    NOT_MET,
    CheckContext,
    CheckResult,
    attributes_of,
    by_count,
    check,
    no_released_lot,
    ref,
    results_for,
)
from evqms.guidance.evidence import EvidenceSnapshot, Lot, marker_category
from evqms.guidance.text import bi, category_label, label

SINGLE_PARTICLE_METHODS = (
    "nta",
    "trps",
    "rps",
    "nanofcm",
    "flow",
    "fcs",
    "mals",
    "raman",
    "zetaview",
    "nanosight",
)
MARKER_CATEGORY_LABELS = {
    "transmembrane": label("transmembrane or GPI-anchored", "膜貫通型またはGPIアンカー型"),
    "cytosolic": label("cytosolic", "細胞質"),
    "non_ev": label("non-EV", "EV以外"),
}


def _per_lot(snap: EvidenceSnapshot, test, fail_msg: str, step_msg: str, ok_msg: str) -> CheckResult:
    """Apply `test(lot) -> bool` to every released lot; messages take {lot} and {n}."""
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    reasons, steps, evidence, good = [], [], [], 0
    for lot in lots:
        evidence.append(ref("lot", lot.id))
        if test(lot):
            good += 1
        else:
            reasons.append(bi(fail_msg, lot=lot.id))
            steps.append(bi(step_msg, lot=lot.id))
    if good == len(lots):
        reasons.insert(0, bi(ok_msg, n=good))
    return CheckResult(by_count(good, len(lots)), reasons, evidence, steps)


def _categories_measured(snap: EvidenceSnapshot, lot: Lot) -> set[str]:
    attributes = {a.id: a for a in snap.attributes()}
    return {
        attributes[r.attribute].category
        for r in lot.qc_results
        if r.attribute in attributes and (r.value is not None or r.result)
    }


def _markers(lot: Lot):
    return [m for r in lot.qc_results for m in r.markers]


@check("source_amount_reported")
def source_amount_reported(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    return _per_lot(
        snap,
        lambda lot: lot.source_volume_ml is not None or lot.producer_cell_count is not None,
        "Lot {lot}: neither conditioned-medium volume nor producer-cell count is recorded.",
        "Record the conditioned-medium volume or the producer-cell count of lot {lot}.",
        "All {n} released lots report the source amount.",
    )


@check("global_quantification")
def global_quantification(snap: EvidenceSnapshot, ctx: CheckContext, min_measures: int = 2) -> CheckResult:
    wanted = {"protein", "particle_concentration", "lipid"}
    return _per_lot(
        snap,
        lambda lot: len(_categories_measured(snap, lot) & wanted) >= min_measures,
        "Lot {lot}: fewer than two of protein, particle number and lipid are measured.",
        "Quantify lot {lot} by at least two of protein, particle number and lipid.",
        "All {n} released lots are quantified by at least two measures.",
    )


def particle_protein_ratio(snap: EvidenceSnapshot, lot: Lot) -> Decimal | None:
    """Particles per microgram of protein: the latest particle concentration in particles/mL over
    the latest protein concentration in µg/mL, each converted from the unit it is reported in (so
    µg/mL and mg/mL give one ratio). None when either result is absent or censored; UnitMismatch when a unit
    cannot be converted."""
    particles = [
        (a, r)
        for a in attributes_of(snap, "particle_concentration", None)
        for r in results_for(lot, a)
        if r.value is not None
    ]
    protein = [
        (a, r)
        for a in attributes_of(snap, "protein", None)
        for r in results_for(lot, a)
        if r.value is not None and r.value > 0
    ]
    if not particles or not protein:
        return None
    attribute, result = particles[-1]
    per_ml = quantities.result_value(result, attribute, quantities.PARTICLES_PER_ML)
    attribute, result = protein[-1]
    ug_per_ml = quantities.result_value(result, attribute, quantities.PROTEIN_UG_PER_ML)
    if per_ml is None or ug_per_ml is None:
        return None  # a censored result ("< 5 µg/mL") gives a bound, not a ratio
    return per_ml / ug_per_ml


def ratio_unit_reason(lot_id: str, mismatch: quantities.UnitMismatch) -> dict[str, str]:
    """The particle-to-protein ratio of a lot whose particle or protein unit does not convert."""
    return bi(
        "Lot {lot}: the particle-to-protein ratio cannot be computed: {given} cannot be converted to {expected}.",
        lot=lot_id,
        given=quantities.label(mismatch.given) or label("(no unit)", "(単位なし)"),
        expected=quantities.label(mismatch.expected),
    )


@check("particle_protein_ratio_reported")
def particle_protein_ratio_reported(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
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
        else:
            good += 1
    if good == len(lots):
        reasons.insert(0, bi("The particle-to-protein ratio is available for all {n} released lots.", n=good))
    return CheckResult(by_count(good, len(lots)), reasons, [ref("lot", lot.id) for lot in lots], steps)


@check("marker_category_positive")
def marker_category_positive(snap: EvidenceSnapshot, ctx: CheckContext, category: str) -> CheckResult:
    name = MARKER_CATEGORY_LABELS.get(category, label(category, category))
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    good = [
        lot
        for lot in lots
        if any(marker_category(m) == category and m.result == "positive" for m in _markers(lot))
    ]
    bad = [lot.id for lot in lots if lot not in good]
    reasons = (
        [bi("Lots without a positive {category} marker: {lots}.", category=name, lots=", ".join(bad))]
        if bad
        else [bi("All {n} released lots have a positive {category} marker.", n=len(good), category=name)]
    )
    return CheckResult(
        by_count(len(good), len(lots)),
        reasons,
        [ref("lot", lot.id) for lot in lots],
        [bi("Test a {category} EV marker (e.g. CD9, CD63, CD81 or TSG101, ALIX, syntenin).", category=name)]
        if bad
        else [],
    )


@check("negative_marker_tested")
def negative_marker_tested(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    return _per_lot(
        snap,
        lambda lot: any(marker_category(m) == "non_ev" and m.result == "negative" for m in _markers(lot)),
        "Lot {lot}: no contaminant marker (e.g. calnexin, GM130, histones) tested and found absent.",
        "Test lot {lot} for at least one non-EV marker such as calnexin or GM130.",
        "All {n} released lots have a contaminant marker tested and absent.",
    )


@check("marker_panel")
def marker_panel(
    snap: EvidenceSnapshot, ctx: CheckContext, min_proteins: int = 3, min_non_ev: int = 1
) -> CheckResult:
    def ok(lot):
        markers = _markers(lot)
        return (
            len({m.marker.lower() for m in markers}) >= min_proteins
            and sum(1 for m in markers if marker_category(m) == "non_ev") >= min_non_ev
        )

    return _per_lot(
        snap,
        ok,
        "Lot {lot}: fewer than three proteins, or no non-EV component, in the marker panel.",
        "Extend the marker panel of lot {lot} to at least three proteins including a non-EV component.",
        "All {n} released lots have a multiplexed marker panel with a non-EV component.",
    )


@check("single_ev_imaging")
def single_ev_imaging(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    lots = [lot for lot in snap.lots if {"em_wide_field", "em_close_up"} <= set(lot.characterisation)]
    if lots:
        return CheckResult(
            MET,
            [bi("Wide-field and close-up single-EV images recorded for lot {lot}.", lot=lots[0].id)],
            [ref("lot", lot.id) for lot in lots],
        )
    return CheckResult(
        NOT_MET,
        [bi("No lot has both wide-field and close-up single-EV images (EM, AFM, super-resolution).")],
        [],
        [bi("Image single EVs (e.g. TEM or cryo-EM) with wide-field and close-up views and record them.")],
    )


@check("single_particle_method")
def single_particle_method(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    def ok(lot):
        return any(any(m in r.method.lower() for m in SINGLE_PARTICLE_METHODS) for r in lot.qc_results)

    return _per_lot(
        snap,
        ok,
        "Lot {lot}: no single-particle method (NTA, TRPS, high-resolution flow ...) recorded.",
        "Measure lot {lot} with a single-particle method such as NTA.",
        "All {n} released lots were analysed with a single-particle method.",
    )


@check("characterisation_metric")
def characterisation_metric(snap: EvidenceSnapshot, ctx: CheckContext, metrics: list) -> CheckResult:
    lots = [lot for lot in snap.lots if all(m in lot.characterisation for m in metrics)]
    names = ", ".join(metrics)
    if lots:
        return CheckResult(
            MET,
            [bi("Characterisation recorded ({metrics}) for lot {lot}.", metrics=names, lot=lots[0].id)],
            [ref("lot", lot.id) for lot in lots],
        )
    return CheckResult(
        NOT_MET,
        [bi("No lot has the characterisation: {metrics}.", metrics=names)],
        [],
        [bi("Characterise a representative lot for: {metrics}.", metrics=names)],
    )


@check("culture_parameters_reported")
def culture_parameters_reported(snap: EvidenceSnapshot, ctx: CheckContext, parameters: list) -> CheckResult:
    names = ", ".join(parameters)
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    bad = [(lot.id, [p for p in parameters if p not in lot.culture_parameters]) for lot in lots]
    bad = [(lot_id, missing) for lot_id, missing in bad if missing]
    reasons = [
        bi("Lot {lot}: culture parameters not recorded: {params}.", lot=lot_id, params=", ".join(missing))
        for lot_id, missing in bad
    ] or [bi("All culture parameters ({params}) recorded for every released lot.", params=names)]
    return CheckResult(
        by_count(len(lots) - len(bad), len(lots)),
        reasons,
        [ref("lot", lot.id) for lot in lots],
        [bi("Record the culture parameters in the batch record: {params}.", params=names)] if bad else [],
    )


@check("donor_records_complete")
def donor_records_complete(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    if not snap.donors:
        return CheckResult(
            NOT_MET,
            [bi("No donor record.")],
            [],
            [bi("Record the donor: consent, eligibility, screening and infectious-marker results.")],
        )
    reasons, good = [], 0
    for donor in snap.donors:
        ok = (
            donor.consent
            and donor.eligible
            and donor.screening_date
            and donor.infectious_markers
            and all(m.result == "negative" for m in donor.infectious_markers)
            and (donor.collection_date is None or donor.screening_date <= donor.collection_date)
        )
        if ok:
            good += 1
        else:
            reasons.append(
                bi(
                    "Donor {id}: consent, eligibility, screening before collection or negative infectious markers missing.",
                    id=donor.id,
                )
            )
    if good == len(snap.donors):
        reasons = [
            bi("All {n} donors are consented, eligible and screened negative before collection.", n=good)
        ]
    return CheckResult(
        by_count(good, len(snap.donors)),
        reasons,
        [ref("donor", d.id) for d in snap.donors],
        [bi("Complete the donor records.")] if good < len(snap.donors) else [],
    )


@check("cell_bank_characterised")
def cell_bank_characterised(
    snap: EvidenceSnapshot, ctx: CheckContext, tests: list | None = None
) -> CheckResult:
    if not snap.cell_banks:
        return CheckResult(
            NOT_MET,
            [bi("No cell bank is recorded.")],
            [],
            [bi("Establish and characterise a master cell bank.")],
        )
    wanted = tests or ["identity", "sterility", "mycoplasma"]
    reasons, good = [], 0
    for bank in snap.cell_banks:
        passed = {t.test for t in bank.characterisation if t.passed}
        missing = [t for t in wanted if t not in passed]
        over = bank.max_passage is not None and bank.passage is not None and bank.passage > bank.max_passage
        if missing or over:
            reasons.append(
                bi(
                    "Cell bank {id}: tests missing or failed: {tests}.",
                    id=bank.id,
                    tests=", ".join(missing + (["passage"] if over else [])),
                )
            )
        else:
            good += 1
    if good == len(snap.cell_banks):
        reasons = [bi("All {n} cell banks passed: {tests}.", n=good, tests=", ".join(wanted))]
    return CheckResult(
        by_count(good, len(snap.cell_banks)),
        reasons,
        [ref("cell bank", b.id) for b in snap.cell_banks],
        [bi("Complete the cell-bank characterisation.")] if good < len(snap.cell_banks) else [],
    )


@check("isolation_method_recorded")
def isolation_method_recorded(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    recorded = [p for p in snap.processes if p.isolation_method.strip()]
    if recorded:
        return CheckResult(
            MET,
            [bi("Isolation method: {method}.", method=recorded[-1].isolation_method)],
            [ref("process", p.version) for p in recorded],
        )
    return CheckResult(
        NOT_MET,
        [bi("No isolation method is described in the process definition.")],
        [],
        [bi("Describe the isolation and purification method and its parameters.")],
    )


@check("particle_count_replicates")
def particle_count_replicates(
    snap: EvidenceSnapshot, ctx: CheckContext, min_replicates: int = 3
) -> CheckResult:
    attributes = attributes_of(snap, "particle_concentration")
    if not attributes:
        return CheckResult(
            NOT_MET,
            [
                bi(
                    "No release specification attribute for {what}.",
                    what=category_label("particle_concentration"),
                )
            ],
            [],
            [
                bi(
                    "Add a release specification attribute for {what} with method and acceptance.",
                    what=category_label("particle_concentration"),
                )
            ],
        )
    return _per_lot(
        snap,
        lambda lot: any(
            (r.replicates or 0) >= min_replicates for a in attributes for r in results_for(lot, a)
        ),
        "Lot {lot}: particle count without the required replicate measurements.",
        "Repeat the particle count of lot {lot} with replicate measurements.",
        "All {n} released lots have replicate particle counts.",
    )


@check("viability_at_harvest_recorded")
def viability_at_harvest_recorded(
    snap: EvidenceSnapshot, ctx: CheckContext, minimum: float | None = None
) -> CheckResult:
    def ok(lot):
        v = lot.viability_at_harvest
        return v is not None and (minimum is None or float(v) >= minimum)

    return _per_lot(
        snap,
        ok,
        "Lot {lot}: producer-cell viability at harvest not recorded or below the minimum.",
        "Record the viability of the producer cells at harvest for lot {lot}.",
        "All {n} released lots record producer-cell viability at harvest.",
    )
