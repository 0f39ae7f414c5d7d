"""The audited projections of study records.

An audit event stores `potency_assay_record` as the assay's after: the definition a relative
potency is judged by (reference lot, model, acceptance range, the attribute it fills).
"""

from __future__ import annotations

from evqms.studies.models import PotencyAssay


def potency_assay_record(assay: PotencyAssay) -> dict:
    """The assay's definition, with its product and reference lot by their numbers."""
    return {
        "product": assay.product.code,
        "name": assay.name,
        "mechanism": assay.mechanism,
        "indication": assay.indication,
        "indication_code": assay.indication_code,
        "readout": assay.readout,
        "kind": assay.kind,
        "reference_lot": assay.reference_lot.number,
        "model": assay.model,
        "dose_unit": assay.dose_unit,
        "acceptance_low": assay.acceptance_low,
        "acceptance_high": assay.acceptance_high,
        "qc_attribute_code": assay.qc_attribute_code,
        "guidance_items": assay.guidance_items,
    }
