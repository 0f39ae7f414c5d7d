"""The audited projections of clinical records: what the audit trail keeps of each, before and after."""

from __future__ import annotations

from evqms.clinical.models import Administration, AdverseEvent, Patient


def patient_record(patient: Patient) -> dict:
    return {
        "code": patient.code,
        "identity_hash": patient.identity_hash,
        "birth_year": patient.birth_year,
        "sex": patient.sex,
    }


def administration_record(adm: Administration, containers: list[str]) -> dict:
    """`containers`: the aliquots given, in the order they were named."""
    return {
        "number": adm.number,
        "patient": adm.patient.code,
        "physician": adm.physician.get_username(),
        "administered_at": adm.administered_at.isoformat(),
        "route": adm.route,
        "site": adm.site,
        "aliquots": containers,
        "dose_particles": str(adm.dose_particles) if adm.dose_particles is not None else None,
        "dose_protein_ug": str(adm.dose_protein_ug) if adm.dose_protein_ug is not None else None,
        "body_weight_kg": str(adm.body_weight_kg) if adm.body_weight_kg is not None else None,
    }


def adverse_event_record(ae: AdverseEvent) -> dict:
    return {
        "number": ae.number,
        "patient": ae.patient.code,
        "administration": ae.administration.number,
        "onset": ae.onset.isoformat(),
        "description": ae.description,
        "ctcae_grade": ae.ctcae_grade,
        "serious": ae.serious,
        "seriousness": ae.seriousness,
        "causality": ae.causality,
        "outcome": ae.outcome,
        "investigation": ae.investigation,
    }
