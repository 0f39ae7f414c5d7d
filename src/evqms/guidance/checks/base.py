"""The check protocol, its result, the registry and helpers shared by the check modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from evqms.guidance.evidence import (
    EvidenceSnapshot,
    Lot,
    QCResult,
    SpecAttribute,
    result_in_spec,
    unit_mismatch,
)
from evqms.guidance.quantities import UnitMismatch
from evqms.guidance.quantities import label as quantity_label
from evqms.guidance.text import bi, category_label

MET, PARTLY_MET, NOT_MET, NOT_APPLICABLE, NEEDS_ATTESTATION = (
    "met",
    "partly_met",
    "not_met",
    "not_applicable",
    "needs_attestation",
)
STATUSES = (MET, PARTLY_MET, NOT_MET, NOT_APPLICABLE, NEEDS_ATTESTATION)


@dataclass
class CheckContext:
    item_id: str
    as_of: dt.date


@dataclass
class CheckResult:
    status: str
    reasons: list[dict[str, str]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    next_steps: list[dict[str, str]] = field(default_factory=list)


CheckFunction = Callable[..., CheckResult]
REGISTRY: dict[str, CheckFunction] = {}


def check(name: str) -> Callable[[CheckFunction], CheckFunction]:
    def register(fn: CheckFunction) -> CheckFunction:
        if name in REGISTRY:
            raise RuntimeError(f"check {name!r} registered twice")
        REGISTRY[name] = fn
        return fn

    return register


def ref(kind: str, record_id: str) -> str:
    """An evidence reference as the reports show it, e.g. 'lot L-003'."""
    return f"{kind} {record_id}"


def by_count(good: int, total: int) -> str:
    """All good -> met, none good -> not met, some -> partly met."""
    if total and good == total:
        return MET
    return NOT_MET if good == 0 else PARTLY_MET


def no_released_lot() -> CheckResult:
    return CheckResult(
        NOT_MET,
        [bi("No released lot is recorded, so the lot-level evidence cannot be shown.")],
        [],
        [bi("Record the QC results and the release of at least one lot.")],
    )


def attributes_of(
    snap: EvidenceSnapshot, category: str, stage: str | None = "release"
) -> list[SpecAttribute]:
    return [a for a in snap.attributes() if a.category == category and (stage is None or a.stage == stage)]


def results_for(lot: Lot, attribute: SpecAttribute) -> list[QCResult]:
    return [r for r in lot.qc_results if r.attribute == attribute.id]


def lot_passes(lot: Lot, attributes: list[SpecAttribute]) -> tuple[bool, str]:
    """Does the lot have an in-spec result for one of the attributes? Returns (ok, why-not code)."""
    results = [(a, r) for a in attributes for r in results_for(lot, a)]
    if not results:
        return False, "missing"
    # The latest result per attribute decides (a retest never overwrites, it follows).
    latest = max(results, key=lambda ar: ar[1].tested_on or dt.date.min)
    verdict = result_in_spec(*latest)
    if verdict is None:
        return False, "unit" if unit_mismatch(*latest) else "unjudgeable"
    return verdict, "" if verdict else "out_of_spec"


def latest_unit_mismatch(
    lot: Lot, attributes: list[SpecAttribute]
) -> tuple[SpecAttribute, UnitMismatch] | None:
    """The attribute and unit problem of the lot's deciding result, when its unit is why it
    cannot be judged."""
    results = [(a, r) for a in attributes for r in results_for(lot, a)]
    if not results:
        return None
    attribute, result = max(results, key=lambda ar: ar[1].tested_on or dt.date.min)
    mismatch = unit_mismatch(attribute, result)
    return (attribute, mismatch) if mismatch else None


def unit_reason(lot_id: str, what, mismatch: UnitMismatch) -> dict[str, str]:
    """'Lot L: the endotoxin result in EU/kg cannot be compared with EU/mL.' (both languages)"""
    if not mismatch.given:
        return bi(
            "Lot {lot}: the {what} result states no unit, so it cannot be compared with {expected}.",
            lot=lot_id,
            what=what,
            expected=quantity_label(mismatch.expected),
        )
    return bi(
        "Lot {lot}: the {what} result in {given} cannot be compared with {expected} (not the same kind of quantity, or not a known unit).",
        lot=lot_id,
        what=what,
        given=quantity_label(mismatch.given),
        expected=quantity_label(mismatch.expected),
    )


def unit_step(lot_id: str, what) -> dict[str, str]:
    return bi(
        "Record the {what} result of lot {lot} in a unit convertible to the specification's.",
        lot=lot_id,
        what=what,
    )


def released_lots_for_category(snap: EvidenceSnapshot, category: str) -> CheckResult:
    """Every released lot has an in-spec release result for an attribute of this category."""
    label = category_label(category)
    attributes = attributes_of(snap, category)
    if not attributes:
        return CheckResult(
            NOT_MET,
            [bi("No release specification attribute for {what}.", what=label)],
            [],
            [bi("Add a release specification attribute for {what} with method and acceptance.", what=label)],
        )
    lots = snap.released_lots()
    if not lots:
        return no_released_lot()
    reasons, steps, evidence, good = [], [], [], 0
    for lot in lots:
        ok, why = lot_passes(lot, attributes)
        evidence.append(ref("lot", lot.id))
        if ok:
            good += 1
        elif why == "missing":
            reasons.append(bi("Lot {lot}: no {what} result.", lot=lot.id, what=label))
            steps.append(bi("Test lot {lot} for {what} or withdraw its release.", lot=lot.id, what=label))
        elif why == "unit":
            _, mismatch = latest_unit_mismatch(lot, attributes)
            reasons.append(unit_reason(lot.id, label, mismatch))
            steps.append(unit_step(lot.id, label))
        else:
            reasons.append(bi("Lot {lot}: {what} result outside the specification.", lot=lot.id, what=label))
            steps.append(
                bi(
                    "Investigate lot {lot} ({what} out of specification) under a deviation.",
                    lot=lot.id,
                    what=label,
                )
            )
    if good == len(lots):
        reasons.insert(0, bi("All {n} released lots have an in-spec {what} result.", n=len(lots), what=label))
    return CheckResult(by_count(good, len(lots)), reasons, evidence, steps)
