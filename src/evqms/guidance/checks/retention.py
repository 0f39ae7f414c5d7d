"""JSRM-1-R2: retention samples of administered lots and biological raw materials; records."""

from __future__ import annotations

from evqms.guidance.checks.base import (
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    CheckContext,
    CheckResult,
    by_count,
    check,
    ref,
)
from evqms.guidance.evidence import EvidenceSnapshot
from evqms.guidance.text import bi


@check("administered_lots_retained")
def administered_lots_retained(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    lots = snap.administered_lot_ids()
    if not lots:
        return CheckResult(NOT_APPLICABLE, [bi("No lot has been administered yet.")])
    # Each lot's samples in the snapshot's order, indexed once instead of scanning every sample per lot.
    samples_by_lot: dict[str, list] = {}
    for r in snap.retention_samples:
        samples_by_lot.setdefault(r.lot, []).append(r)
    reasons, steps, evidence, good = [], [], [], 0
    for lot_id in lots:
        evidence.append(ref("lot", lot_id))
        samples = samples_by_lot.get(lot_id, [])
        kept = [r for r in samples if r.in_stock and (r.retain_until is None or r.retain_until >= ctx.as_of)]
        if kept:
            good += 1
            evidence.extend(ref("retention sample", r.id) for r in kept)
        elif samples:
            reasons.append(
                bi("Lot {lot} was administered; its retention sample is no longer in stock.", lot=lot_id)
            )
            steps.append(
                bi(
                    "Record why the retention sample of lot {lot} is gone and extend retention for future lots.",
                    lot=lot_id,
                )
            )
        else:
            reasons.append(bi("Lot {lot} was administered but has no retention sample.", lot=lot_id))
            steps.append(
                bi(
                    "Keep a retention sample of lot {lot} (same lot as administered) until its retention end.",
                    lot=lot_id,
                )
            )
    if good == len(lots):
        reasons.insert(0, bi("All {n} administered lots have a retention sample in stock.", n=len(lots)))
    # One administered lot without a sample already defeats the item's purpose (cause investigation).
    return CheckResult(MET if good == len(lots) else NOT_MET, reasons, evidence, steps)


@check("biological_material_lots_retained")
def biological_material_lots_retained(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    used = sorted({m for lot in snap.lots for m in lot.material_lots})
    biological = []
    for mlot_id in used:
        mlot = next((m for m in snap.material_lots if m.id == mlot_id), None)
        material = snap.material(mlot.material) if mlot else None
        if material and material.biological:
            biological.append(mlot_id)
    if not biological:
        return CheckResult(NOT_APPLICABLE, [bi("No biological raw material is used.")])
    reasons, steps, evidence, good = [], [], [], 0
    for mlot_id in biological:
        evidence.append(ref("material lot", mlot_id))
        samples = [r for r in snap.retention_samples if r.material_lot == mlot_id]
        if any(r.in_stock for r in samples) or any(r.reason.strip() for r in samples):
            good += 1
        else:
            reasons.append(
                bi(
                    "Biological raw-material lot {lot} has no retained sample and no documented reason.",
                    lot=mlot_id,
                )
            )
            steps.append(
                bi("Retain a sample of material lot {lot}, or document why none is kept.", lot=mlot_id)
            )
    if good == len(biological):
        reasons.insert(
            0, bi("All {n} biological raw-material lots are retained or justified.", n=len(biological))
        )
    return CheckResult(by_count(good, len(biological)), reasons, evidence, steps)


RECORD_FIELDS = ("patient", "lot", "dose", "route", "administered_on", "physician")


@check("administration_records_complete")
def administration_records_complete(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    if not snap.administrations:
        return CheckResult(NOT_APPLICABLE, [bi("No administration is recorded.")])
    reasons, steps, evidence, good = [], [], [], 0
    for adm in snap.administrations:
        evidence.append(ref("administration", adm.id))
        missing = [f for f in RECORD_FIELDS if not getattr(adm, f)]
        if missing:
            reasons.append(bi("Administration {id} lacks: {fields}.", id=adm.id, fields=", ".join(missing)))
            steps.append(bi("Complete the record of administration {id}.", id=adm.id))
        else:
            good += 1
    if good == len(snap.administrations):
        reasons.insert(
            0,
            bi("All {n} administration records link patient, lot, dose, route, date and physician.", n=good),
        )
    return CheckResult(by_count(good, len(snap.administrations)), reasons, evidence, steps)
