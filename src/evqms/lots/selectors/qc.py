"""The QC results that stand for a lot: per attribute of its specification, the latest valid one."""

from __future__ import annotations

from evqms.dossier.models import SpecAttribute
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
