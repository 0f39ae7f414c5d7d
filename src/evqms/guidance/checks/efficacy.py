"""JSRM-3-R4, JSRM-3-P1, JSRM-3-R5: potency, biodistribution, dose; MFDS study checks."""

from __future__ import annotations

from decimal import Decimal

from evqms.guidance import vocabulary
from evqms.guidance.checks.base import (
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    PARTLY_MET,
    CheckContext,
    CheckResult,
    by_count,
    check,
    latest_unit_mismatch,
    lot_passes,
    no_released_lot,
    ref,
    unit_reason,
    unit_step,
)
from evqms.guidance.evidence import Administration, Dose, EvidenceSnapshot
from evqms.guidance.text import bi, category_label


def _linked_assays(snap: EvidenceSnapshot):
    """Assays whose indication code is one of the product's indication codes (codes, never texts)."""
    indications = set(snap.product.indications)
    return [a for a in snap.studies.potency_assays if a.indication and a.indication in indications]


def _indication_names(codes: list[str]) -> dict[str, str]:
    return {
        lang: ", ".join(vocabulary.label("indication", c, lang) for c in codes) or "-"
        for lang in ("en", "ja")
    }


def _route_names(codes: list[str]) -> dict[str, str]:
    return {
        lang: ", ".join(vocabulary.label("route", c, lang) for c in codes) or "-" for lang in ("en", "ja")
    }


@check("potency_assay_linked_to_indication")
def potency_assay_linked_to_indication(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    linked = _linked_assays(snap)
    if linked:
        return CheckResult(
            MET,
            [
                bi(
                    "Potency assay {name} is linked to the indication {indication}.",
                    name=linked[0].name,
                    indication=vocabulary.labels("indication", linked[0].indication),
                )
            ],
            [ref("potency assay", a.id) for a in linked],
        )
    others = snap.studies.potency_assays
    reasons = [
        bi(
            "No potency assay is linked to the product's indications ({indications}).",
            indications=_indication_names(snap.product.indications),
        )
    ]
    if not snap.product.indications:
        reasons.append(
            bi(
                "The product's indication is not coded ({text}): choose its term from the indication list.",
                text=snap.product.indication_detail or "-",
            )
        )
    for assay in others:
        if not assay.indication:
            reasons.append(bi("Potency assay {name} names no coded indication.", name=assay.name))
    return CheckResult(
        NOT_MET,
        reasons,
        [ref("potency assay", a.id) for a in others],
        [
            bi(
                "Establish an in-vitro potency assay (or an in-vivo model) reflecting the mechanism for the target disease."
            )
        ],
    )


@check("released_lots_potency_in_range")
def released_lots_potency_in_range(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    attributes = [snap.attribute(a.attribute) for a in _linked_assays(snap) if a.attribute]
    attributes = [a for a in attributes if a is not None]
    if not attributes:
        return CheckResult(
            NOT_MET,
            [bi("No specification attribute judges lots with a linked potency assay.")],
            [],
            [
                bi(
                    "Add a potency attribute (e.g. relative potency vs the reference lot) with acceptance range."
                )
            ],
        )
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    reasons, steps, evidence, good = [], [], [], 0
    for lot in lots:
        evidence.append(ref("lot", lot.id))
        ok, why = lot_passes(lot, attributes)
        if ok:
            good += 1
        elif why == "unit":
            attribute, mismatch = latest_unit_mismatch(lot, attributes)
            reasons.append(unit_reason(lot.id, category_label("potency"), mismatch))
            steps.append(unit_step(lot.id, category_label("potency")))
        else:
            reasons.append(bi("Lot {lot}: potency result missing or out of range.", lot=lot.id))
            steps.append(bi("Run the potency assay on lot {lot}.", lot=lot.id))
    if good == len(lots):
        reasons.insert(0, bi("All {n} released lots have a potency result within range.", n=good))
    return CheckResult(by_count(good, len(lots)), reasons, evidence, steps)


@check("biodistribution_target_fraction")
def biodistribution_target_fraction(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    routes = set(snap.product.routes)
    studies = [s for s in snap.studies.biodistribution if s.route in routes]
    if not studies:
        uncoded = [s for s in snap.studies.biodistribution if vocabulary.term("route", s.route) is None]
        return CheckResult(
            NOT_MET,
            [
                bi(
                    "No biodistribution study for the product's routes ({routes}).",
                    routes=_route_names(snap.product.routes),
                )
            ]
            + [
                bi("Study {id}: route {route!r} is not a coded route.", id=s.id, route=s.route)
                for s in uncoded
            ],
            [],
            [
                bi(
                    "Run a biodistribution study in a model animal by the clinical route and measure the fraction reaching the target."
                )
            ],
        )
    evidence = [ref("study", s.id) for s in studies]

    def threshold_of(study):
        # The product's stated threshold governs; else the one the study set for itself.
        stated = snap.product.target_fraction_threshold
        return stated if stated is not None else study.threshold

    judged = [s for s in studies if threshold_of(s) is not None]
    if not judged:
        return CheckResult(
            PARTLY_MET,
            [
                bi(
                    "Biodistribution studied, but neither the product nor the study states a target-fraction threshold."
                )
            ],
            evidence,
            [bi("State the fraction of the dose that must reach the target (product threshold).")],
        )
    reaching = [s for s in judged if s.fraction_of_dose is not None and s.fraction_of_dose >= threshold_of(s)]
    if reaching:
        best = max(reaching, key=lambda s: s.fraction_of_dose)
        return CheckResult(
            MET,
            [
                bi(
                    "Study {id}: {fraction} of the dose reached {target} (threshold {threshold}).",
                    id=best.id,
                    fraction=best.fraction_of_dose,
                    target=best.target or "-",
                    threshold=threshold_of(best),
                )
            ],
            evidence,
        )
    thresholds = ", ".join(str(t) for t in dict.fromkeys(threshold_of(s) for s in judged))
    return CheckResult(
        NOT_MET,
        [bi("No study shows the threshold fraction {threshold} reaching the target.", threshold=thresholds)],
        evidence,
        [bi("Improve targeting or justify a lower threshold with data.")],
    )


def _comparable(dose: Dose, bound: Dose, weight: Decimal | None) -> Decimal | None:
    """The administered dose in the bound's terms (per kg or total), or None if it cannot be converted."""
    if dose.basis != bound.basis:
        return None
    if dose.per_kg == bound.per_kg:
        return dose.value
    if not weight:
        return None
    return dose.value / weight if bound.per_kg else dose.value * weight


def _supported(adm: Administration, studies) -> tuple[bool | None, list[str]]:
    """Within the [min, max] of at least one study that can be compared (None: none comparable)."""
    verdicts, used = [], []
    for study in studies:
        bounds = [
            (b, op) for b, op in ((study.supported_min, "ge"), (study.supported_max, "le")) if b is not None
        ]
        values = [(_comparable(adm.dose, b, adm.body_weight_kg), b, op) for b, op in bounds]
        if not values or any(v is None for v, _, _ in values):
            continue
        used.append(study.id)
        verdicts.append(all(v >= b.value if op == "ge" else v <= b.value for v, b, op in values))
    if not verdicts:
        return None, used
    return any(verdicts), used


@check("dose_within_supported_range")
def dose_within_supported_range(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    studies = snap.studies.dose_response
    endpoints = {s.endpoint for s in studies}
    if not studies:
        return CheckResult(
            NOT_MET,
            [bi("No dose-response or safety study supports a dose range.")],
            [],
            [
                bi(
                    "Verify the dose relation to safety and efficacy in vitro and in vivo, and record the supported range."
                )
            ],
        )
    evidence = [ref("study", s.id) for s in studies]
    reasons, steps = [], []
    for endpoint in ("efficacy", "safety"):
        if endpoint not in endpoints:
            reasons.append(bi("No dose study with a {endpoint} endpoint.", endpoint=endpoint))
            steps.append(bi("Add a dose study with a {endpoint} endpoint.", endpoint=endpoint))
    administrations = [a for a in snap.administrations if a.dose is not None]
    if not administrations:
        status = MET if not reasons else PARTLY_MET
        reasons.insert(0, bi("A supported dose range is recorded; no administration to compare yet."))
        return CheckResult(status, reasons, evidence, steps)
    outside, unjudged = 0, 0
    for adm in administrations:
        ok, _ = _supported(adm, studies)
        if ok is None:
            unjudged += 1
            reasons.append(
                bi(
                    "Administration {id}: dose cannot be compared with the studies (unit basis or body weight).",
                    id=adm.id,
                )
            )
            steps.append(
                bi(
                    "Record the body weight or a study range in the same unit basis for administration {id}.",
                    id=adm.id,
                )
            )
        elif not ok:
            outside += 1
            evidence.append(ref("administration", adm.id))
            reasons.append(
                bi(
                    "Administration {id}: dose {value} outside the supported range.",
                    id=adm.id,
                    value=f"{adm.dose.value} {adm.dose.basis}{'/kg' if adm.dose.per_kg else ''}",
                )
            )
            steps.append(
                bi(
                    "Review administration {id} with the responsible physician; report it as a deviation.",
                    id=adm.id,
                )
            )
    if outside:
        return CheckResult(NOT_MET, reasons, evidence, steps)
    if unjudged or len(endpoints & {"efficacy", "safety"}) < 2:
        return CheckResult(PARTLY_MET, reasons, evidence, steps)
    reasons.insert(
        0,
        bi(
            "All {n} administered doses lie within the range supported by dose-response and safety data.",
            n=len(administrations),
        ),
    )
    return CheckResult(MET, reasons, evidence)


@check("potency_unit_basis_and_mock")
def potency_unit_basis_and_mock(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    assays = snap.studies.potency_assays
    if not assays:
        return CheckResult(
            NOT_MET,
            [bi("No potency assay is recorded.")],
            [],
            [
                bi(
                    "Establish an in-vitro potency assay (or an in-vivo model) reflecting the mechanism for the target disease."
                )
            ],
        )
    good = [a for a in assays if a.unit_basis in ("particles", "protein") and a.mock_control]
    reasons = (
        []
        if good
        else [bi("No potency assay expresses activity per particle or protein with a mock-EV control.")]
    )
    return CheckResult(
        MET if good else NOT_MET,
        reasons or [bi("{n} potency assays with unit basis and mock control.", n=len(good))],
        [ref("potency assay", a.id) for a in assays],
        [] if good else [bi("Express potency per particle number or protein and add a mock-EV control.")],
    )


@check("biodistribution_methods")
def biodistribution_methods(snap: EvidenceSnapshot, ctx: CheckContext, min_methods: int = 2) -> CheckResult:
    studies = snap.studies.biodistribution
    if not studies:
        return CheckResult(
            NOT_MET,
            [bi("No biodistribution study is recorded.")],
            [],
            [bi("Run a biodistribution study with two independent methods.")],
        )
    good = [s for s in studies if len(set(s.methods)) >= min_methods]
    return CheckResult(
        MET if good else NOT_MET,
        [
            bi(
                "{n} of {total} biodistribution studies use at least {k} methods.",
                n=len(good),
                total=len(studies),
                k=min_methods,
            )
        ],
        [ref("study", s.id) for s in studies],
        [] if good else [bi("Add a second independent method (e.g. dye plus PCR or immunostaining).")],
    )


@check("study_exists")
def study_exists(snap: EvidenceSnapshot, ctx: CheckContext, kind: str) -> CheckResult:
    studies = [s for s in snap.studies.other if s.kind == kind]
    if studies:
        return CheckResult(
            MET,
            [bi("{kind} study recorded: {ids}.", kind=kind, ids=", ".join(s.id for s in studies))],
            [ref("study", s.id) for s in studies],
        )
    return CheckResult(
        NOT_MET,
        [bi("No {kind} study is recorded.", kind=kind)],
        [],
        [bi("Run or reference a {kind} study.", kind=kind)],
    )


@check("stability_supports_expiry")
def stability_supports_expiry(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    studies = [s for s in snap.studies.other if s.kind == "stability" and s.supported_months is not None]
    if not studies:
        return CheckResult(
            NOT_MET,
            [bi("No stability study with a supported storage duration.")],
            [],
            [bi("Run a stability study under the storage conditions and record the supported months.")],
        )
    months = max(s.supported_months for s in studies)
    lots = [lot for lot in snap.released_lots() if lot.expiry and lot.manufactured_on]
    if not lots:
        return CheckResult(NOT_APPLICABLE, [bi("No released lot with manufacture and expiry dates.")])
    long = [lot for lot in lots if (lot.expiry - lot.manufactured_on).days > float(months) * 30.44]
    reasons = [
        bi(
            "Lot {lot}: shelf life longer than the {months} months stability data support.",
            lot=lot.id,
            months=months,
        )
        for lot in long
    ]
    if not long:
        reasons = [
            bi(
                "Every released lot's expiry lies within the {months} months stability data support.",
                months=months,
            )
        ]
    return CheckResult(
        by_count(len(lots) - len(long), len(lots)),
        reasons,
        [ref("lot", lot.id) for lot in lots],
        [bi("Shorten the expiry or extend the stability study.")] if long else [],
    )
