"""The dossier's records as audited and signed: `<model>_record(obj)` is the plain dict an audit
event stores before and after a change; `<model>_signed_record(obj)` is what an approval signs
(the same without the status, which the approval itself changes)."""

from __future__ import annotations

from evqms.dossier import models as m


def product_record(p: m.Product) -> dict:
    return {
        "code": p.code,
        "name": p.name,
        "ev_type": p.ev_type,
        "source_cell_type": p.source_cell_type,
        "origin": p.origin,
        "indication_code": p.indication_code,
        "indications": p.indications,
        "routes": list(p.routes or []),
        "dose_unit": p.dose_unit,
        "responsible_physician": p.responsible_physician.get_username()
        if p.responsible_physician_id
        else None,
        "retention_sample_required": p.retention_sample_required,
    }


def donor_record(d: m.Donor) -> dict:
    return {
        "code": d.code,
        "consent_on": d.consent_on,
        "consent_document": str(d.consent_document) if d.consent_document_id else None,
        "eligibility": d.eligibility,
        "eligibility_notes": d.eligibility_notes,
    }


def donor_test_record(r: m.DonorTestResult) -> dict:
    return {
        "donor": r.donor.code,
        "marker": r.marker.code,
        "result": r.result,
        "method": r.method,
        "tested_on": r.tested_on,
    }


def marker_record(k: m.InfectiousMarker) -> dict:
    return {"code": k.code, "name": k.name, "required": k.required}


def cell_bank_record(b: m.CellBank) -> dict:
    return {
        "code": b.code,
        "kind": b.kind,
        "donor": b.donor.code if b.donor_id else None,
        "parent": b.parent.code if b.parent_id else None,
        "passage": b.passage,
        "frozen_on": b.frozen_on,
        "vials": b.vials,
        "location": b.location,
        "characterisation": b.characterisation,
        "status": b.status,
    }


def material_record(x: m.Material) -> dict:
    return {
        "name": x.name,
        "supplier": x.supplier,
        "catalogue_number": x.catalogue_number,
        "kind": x.kind,
        "used_in_culture": x.used_in_culture,
    }


def material_lot_record(x: m.MaterialLot) -> dict:
    return {
        "material": f"{x.material.supplier} {x.material.catalogue_number}",
        "lot_number": x.lot_number,
        "expiry": x.expiry,
        "received_on": x.received_on,
        "coa_document": str(x.coa_document) if x.coa_document_id else None,
        "animal_species": x.animal_species,
        "animal_tissue": x.animal_tissue,
        "animal_origin_justification": x.animal_origin_justification,
        "justified_process_versions": list(x.justified_process_versions or []),
        "grade": x.grade,
        "is_biological": x.is_biological,
        "acceptance_status": x.acceptance_status,
    }


def document_record(d: m.Document) -> dict:
    return {
        "code": d.code,
        "version": d.version,
        "title": d.title,
        "kind": d.kind,
        "original_name": d.original_name,
        "sha256": d.sha256,
        "status": d.status,
        "uploaded_by": d.uploaded_by.get_username(),
        "uploaded_at": d.uploaded_at,
    }


def parameter_record(p: m.ProcessParameter) -> dict:
    return {
        "name": p.name,
        "unit": p.unit,
        "low": p.low,
        "high": p.high,
        "critical": p.critical,
        "in_process_control": p.in_process_control,
    }


def step_record(s: m.ProcessStep) -> dict:
    return {
        "order": s.order,
        "kind": s.kind,
        "name": s.name,
        "method": s.method,
        "parameters": [parameter_record(p) for p in s.parameters.order_by("id")],
        # Only when declared: versions signed before these fields existed keep the record they signed.
        **({"aseptic": True} if s.aseptic else {}),
        **({"sop": s.sop} if s.sop else {}),
    }


def process_record(p: m.ProcessDefinition, *, with_steps: bool = True) -> dict:
    out = {"product": p.product.code, "version": p.version, "status": p.status, "description": p.description}
    # Only when declared: versions signed before these fields existed keep the record they signed.
    if p.xeno_free:
        out["xeno_free"] = True
    bill = bill_of_materials(p)
    if bill:
        out["bill_of_materials"] = bill
    if p.change_request_id:  # only when made under one, as above
        out["change_request"] = p.change_request.number
    if with_steps:
        out["steps"] = [step_record(s) for s in p.steps.order_by("order")]
    return out


def bill_of_materials(p: m.ProcessDefinition) -> list[str]:
    return sorted(f"{x.supplier} {x.catalogue_number}" for x in p.bill_of_materials.all())


ATTRIBUTE_FIELDS = (
    "code",
    "name",
    "method",
    "kind",
    "unit",
    "stage",
    "is_cqa",
    "lower",
    "lower_inclusive",
    "upper",
    "upper_inclusive",
    "alert_lower",
    "alert_upper",
    "decimal_places",
    "choices",
    "acceptable",
    "guidance_items",
    "source",
    "order",
)


def attribute_record(a: m.SpecAttribute) -> dict:
    out = {f: getattr(a, f) for f in ATTRIBUTE_FIELDS}
    if a.method_sop:  # only when declared: versions signed before it existed keep their record
        out["method_sop"] = a.method_sop
    for f in ("lower", "upper", "alert_lower", "alert_upper"):  # the same number, however it was stored
        if out[f] is not None:
            out[f] = out[f].normalize()
    return out


def specification_record(s: m.Specification, *, with_attributes: bool = True) -> dict:
    out = {"product": s.product.code, "version": s.version, "status": s.status, "description": s.description}
    # Only when set: versions signed before the shelf life was recorded keep the record they signed.
    if s.shelf_life_months is not None:
        out["shelf_life_months"] = s.shelf_life_months
        out["shelf_life_basis"] = s.shelf_life_basis
    if s.change_request_id:
        out["change_request"] = s.change_request.number
    if with_attributes:
        out["attributes"] = [attribute_record(a) for a in s.attributes.order_by("order", "id")]
    return out


def document_signed_record(d: m.Document) -> dict:
    """What an approval signs: the content hash and identity, not the (changing) status."""
    rec = document_record(d)
    rec.pop("status")
    return rec


def process_signed_record(p: m.ProcessDefinition) -> dict:
    rec = process_record(p)
    rec.pop("status")
    return rec


def specification_signed_record(s: m.Specification) -> dict:
    rec = specification_record(s)
    rec.pop("status")
    return rec
