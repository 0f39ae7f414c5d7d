"""The audited and signed projections of lot records.

An audit event stores `lot_record`, `qc_result_record` or `deviation_record` as its before and
after; a release or rejection signature signs `lot_release_record`, a QC result's verification
signature `qc_result_signed_record`. Each projection is written
once here, so the event and the signature check read the same fields. Changing a projection
changes the hash of every record signed from then on: a signature over the old projection no
longer applies to the record as it is now.
"""

from __future__ import annotations

from django.db.models import Prefetch

from evqms.lots.models import (
    Deviation,
    Lot,
    MaterialUsage,
    ParameterValue,
    QCColumnMapping,
    QCResult,
    StepRecord,
)


def lot_record(lot: Lot) -> dict:
    """The lot's own fields, with its status: what an audit event stores."""
    return {
        "number": lot.number,
        "product": lot.product.code,
        "process_version": lot.process.version,
        "specification_version": lot.specification.version,
        "cell_bank": lot.cell_bank.code,
        "status": lot.status,
        "manufactured_on": lot.manufactured_on,
        "expiry": lot.expiry,
        "volume_ml": lot.volume_ml,
        "notes": lot.notes,
    }


def _result_fields(r: QCResult) -> dict:
    return {
        "attribute": r.attribute.code,
        "value": r.value,
        "unit": r.unit,
        "value_in_spec_unit": r.value_in_spec_unit,
        "reported_value": r.reported_value,
        "text_value": r.text_value,
        "method": r.method,
        "limits": r.limits,
        "verdict": r.verdict,
        "status": r.status,
        "invalidation_reason": r.invalidation_reason,
        "retest_of": r.retest_of_id,
        "analyst": r.analyst.get_username(),
        "tested_at": r.tested_at,
        "verified_by": r.verified_by.get_username() if r.verified_by_id else None,
        "raw_file_sha256": r.raw_file_sha256,
        # Only when named: records made before the instrument register keep the projection (and the
        # hash of any signature over it) they had.
        **({"instrument": r.instrument.identifier} if r.instrument_id else {}),
        # Likewise only when censored ("<", ">"): a measured result keeps its projection.
        **({"censor": r.censor} if r.censor else {}),
    }


def _where_done(s: StepRecord) -> dict:
    """The room and instruments of a step record, when it names them (see `_result_fields`)."""
    out = {}
    if s.room_id:
        out["room"] = s.room.code
    instruments = sorted(i.identifier for i in s.instruments.all())
    if instruments:
        out["instruments"] = instruments
    return out


def qc_result_record(r: QCResult) -> dict:
    """A QC result with its lot's number: what an audit event stores."""
    return {"lot": r.lot.number, **_result_fields(r)}


def qc_result_signed_record(r: QCResult) -> dict:
    """What a verification signature signs: the result as entered and judged, without who verified
    it (the verification itself), so the signature still applies to the verified result."""
    record = qc_result_record(r)
    record.pop("verified_by")
    return record


def deviation_record(d: Deviation) -> dict:
    """A deviation with the lots and material lots it names (what its audit events and its closing
    signature keep)."""
    return {
        "number": d.number,
        "lot": d.lot.number if d.lot_id else None,
        "lots": sorted(d.affected_lots.values_list("number", flat=True)),
        "material_lots": sorted(
            f"{m}/{n}" for m, n in d.affected_material_lots.values_list("material__name", "lot_number")
        ),
        "equipment": d.affected_equipment,
        "source": d.source,
        "description": d.description,
        "occurred_at": d.occurred_at,
        "classification": d.classification,
        "classification_rule": d.classification_rule,
        "classification_reason": d.classification_reason,
        "root_cause_category": d.root_cause_category,
        "investigation": d.investigation,
        "impacts": [
            {"lot": i.lot.number, "assessment": i.assessment, "reasoning": i.reasoning}
            for i in d.impacts.select_related("lot").order_by("lot__number")
        ]
        if d.pk
        else [],
        "status": d.status,
        "qc_result": d.qc_result_id,
        "resolution": d.resolution,
    }


def deviation_signed_record(d: Deviation) -> dict:
    """What QA's closing signature signs: the deviation's record without its status (the closure
    itself), so the signature still applies to the closed record."""
    record = deviation_record(d)
    record.pop("status")
    return record


def lot_qc_results(lot: Lot) -> list[QCResult]:
    """Every QC result of the lot, valid or not, in specification order then as recorded."""
    return list(
        QCResult.objects.filter(lot=lot)
        .select_related("attribute", "analyst", "verified_by", "retest_of", "instrument")
        .order_by("attribute__order", "attribute__id", "recorded_at", "id")
    )


def lot_release_record(lot: Lot, results: list[QCResult] | None = None) -> dict:
    """What a release (or rejection) signature signs: the lot's record without its disposition
    (status, release time), so the signature still applies to the record after the release, with
    its materials, steps, QC results and deviations.
    `results`: the lot's `lot_qc_results(lot)` when the caller has read them already."""
    if results is None:
        results = lot_qc_results(lot)
    usages = MaterialUsage.objects.filter(lot=lot).select_related("material_lot__material").order_by("id")
    steps = (
        StepRecord.objects.filter(lot=lot)
        .select_related("step", "room")
        .prefetch_related(
            Prefetch("values", queryset=ParameterValue.objects.select_related("parameter").order_by("id")),
            "instruments",
        )
        .order_by("step__order", "id")
    )
    return {
        "lot": lot.number,
        "product": lot.product.code,
        "process_version": lot.process.version,
        "specification_version": lot.specification.version,
        "cell_bank": lot.cell_bank.code,
        "manufactured_on": lot.manufactured_on,
        "expiry": lot.expiry,
        "volume_ml": lot.volume_ml,
        "materials": [
            {
                "material": u.material_lot.material.name,
                "lot": u.material_lot.lot_number,
                "quantity": u.quantity,
                "unit": u.unit,
                "animal_species": u.material_lot.animal_species,
            }
            for u in usages
        ],
        "steps": [
            {
                "order": s.step.order,
                "step": s.step.name,
                "started_at": s.started_at,
                "finished_at": s.finished_at,
                "values": [
                    {"parameter": v.parameter.name, "value": v.value, "unit": v.unit, "in_range": v.in_range}
                    for v in s.values.all()
                ],
                **_where_done(s),
            }
            for s in steps
        ],
        "results": [{"id": r.pk, **_result_fields(r)} for r in results],
        "deviations": [
            {"number": d.number, "source": d.source, "status": d.status, "resolution": d.resolution}
            for d in Deviation.objects.filter(affected_lots=lot).order_by("number")
        ],
    }


def method_suitability_record(s) -> dict:
    """A method suitability record: what its audit events keep and QA's approval signs (the status
    is left out, so the signature over the pending record still applies once approved)."""
    return {
        "number": s.number,
        "product": s.product.code,
        "test_type": s.test_type,
        "method": s.method,
        "method_version": s.method_version,
        "performed_on": s.performed_on,
        "analyst": s.analyst.get_username(),
        "outcome": s.outcome,
        "spike_recovery_pct": s.spike_recovery_pct,
        "notes": s.notes,
        "report_name": s.report_name,
        "report_sha256": s.report_sha256,
    }


def run_controls_record(c) -> dict:
    """The controls of a sterility, endotoxin or mycoplasma run, as a result's audit event keeps them."""
    return {
        "test_type": c.test_type,
        "positive_detected": c.positive_detected,
        "positive_recovery_pct": c.positive_recovery_pct,
        "negative_detected": c.negative_detected,
        "valid": c.valid,
        "invalid_reason": c.invalid_reason,
        "suitability": c.suitability.number if c.suitability_id else None,
    }


def qc_column_mapping_record(m: QCColumnMapping) -> dict:
    """A saved column mapping as its audit events keep it."""
    return {
        "name": m.name,
        "instrument": m.instrument.identifier if m.instrument_id else None,
        "columns": dict(sorted(m.columns.items())),
    }
