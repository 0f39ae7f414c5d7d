"""The QC results that stand for a lot: per attribute of its specification, the latest valid one."""

from __future__ import annotations

from evqms.core.timefmt import display_local
from evqms.dossier.models import SpecAttribute
from evqms.lots import display
from evqms.lots.models import Lot, QCResult
from evqms.lots.records import lot_qc_results

PASSING = ("pass", "alert")  # the verdicts that let a lot be released


def current_results(
    lot: Lot, results: list[QCResult] | None = None, *, attributes: list[SpecAttribute] | None = None
) -> list[dict]:
    """One entry per attribute of the lot's specification, in specification order:
    {"attribute": SpecAttribute, "result": the latest VALID QCResult or None,
     "standing_oos": [valid failing results other than the latest], "history": every result}.
    `results`: the lot's `lot_qc_results(lot)` when the caller has read them already;
    `attributes`: `specification_attributes(lot)` likewise.
    """
    results = lot_qc_results(lot) if results is None else results
    out = []
    for attribute in specification_attributes(lot) if attributes is None else attributes:
        mine = [r for r in results if r.attribute_id == attribute.pk]
        valid = [r for r in mine if r.status == "valid"]
        latest = valid[-1] if valid else None
        out.append(
            {
                "attribute": attribute,
                "result": latest,
                "standing_oos": [r for r in valid if r.verdict == "fail" and r is not latest],
                "history": mine,
            }
        )
    return out


def specification_attributes(lot: Lot) -> list[SpecAttribute]:
    """The attributes of the lot's specification, in specification order."""
    return list(lot.specification.attributes.all().order_by("order", "id"))


QC_OPEN_STATUSES = ("qc", "quarantine")  # as services.qc: results are verified only then


def results_to_verify(user, *, lot: Lot | None = None) -> list[dict]:
    """The results `user` may verify now, of `lot` or of every lot, lot by lot in specification
    order: valid, not verified, of a lot open for QC, and not tested by `user` (the rule the
    verification service checks again; the caller checks the role)."""
    query = (
        QCResult.objects.filter(status="valid", verified_by__isnull=True, lot__status__in=QC_OPEN_STATUSES)
        .exclude(analyst=user)  # no one verifies their own result
        .select_related("lot", "attribute", "analyst", "instrument")
        .order_by("lot__number", "attribute__order", "attribute__id", "recorded_at", "id")
    )
    if lot is not None:
        query = query.filter(lot=lot)
    return [result_row(r) for r in query]


def results_selected(ids: list[int]) -> list[QCResult]:
    """The results named by `ids` (unknown ids left out), lot by lot in specification order."""
    return list(
        QCResult.objects.filter(pk__in=ids)
        .select_related("lot", "attribute", "analyst", "instrument", "verified_by")
        .order_by("lot__number", "attribute__order", "attribute__id", "recorded_at", "id")
    )


def result_row(r: QCResult) -> dict:
    """One result as the verification pages list it (the value as the lot page shows it)."""
    fields = {
        "text_value": r.text_value,
        "limits": r.limits,
        "reported_value": r.reported_value,
        "value_in_spec_unit": r.value_in_spec_unit,
        "unit": r.unit,
    }
    return {
        "id": r.pk,
        "lot": r.lot.number,
        "lot_status": r.lot.status,
        "attribute": r.attribute.code,
        "attribute_name": r.attribute.name,
        "shown": display.result_text(fields),
        "criterion": display.criterion_text(r.limits),
        "verdict": r.verdict,
        "verdict_display": r.get_verdict_display(),
        "method": r.method,
        "instrument": r.instrument.identifier if r.instrument_id else "",
        "analyst": r.analyst.get_username(),
        "analyst_name": r.analyst.signature_name(),
        "tested_shown": display_local(r.tested_at),
        "status": r.status,
        "verified": bool(r.verified_by_id),
    }
