"""The audited projections of clinical records: what the audit trail keeps of each, before and after,
and the safety report's case (what a physician signs when the report is submitted)."""

from __future__ import annotations

from django.utils import timezone

from evqms.clinical.models import (
    Administration,
    AdverseEvent,
    Evaluation,
    FollowUpVisit,
    InstrumentUse,
    Patient,
    SafetyReport,
)


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
        "ctcae_term": ae.ctcae_term,
        "ctcae_grade": ae.ctcae_grade,
        "serious": ae.serious,
        "seriousness_criteria": list(ae.seriousness_criteria or []),
        "seriousness": ae.seriousness,
        "expectedness": ae.expectedness,
        "learned_on": _day(ae.learned_on),
        "causality": ae.causality,
        "outcome": ae.outcome,
        "outcome_on": _day(ae.outcome_on),
        "investigation": ae.investigation,
    }


def _day(value):
    return value.isoformat() if value else None


def instrument_use_record(use: InstrumentUse) -> dict:
    return {
        "product": use.product.code,
        "instrument": use.instrument.code,
        "instrument_version": use.instrument.version,
        "definition_hash": use.instrument.definition_hash,
        "indication_code": use.indication_code,
        "follow_up_months": list(use.follow_up_months),
        "window_days": use.window_days,
        "licence_reference": use.licence_reference,
        "active": use.active,
    }


def evaluation_record(ev: Evaluation) -> dict:
    return {
        "administration": ev.administration.number,
        "patient": ev.administration.patient.code,
        "instrument": ev.instrument.code,
        "instrument_version": ev.instrument.version,
        "kind": ev.kind,
        "evaluated_at": ev.evaluated_at.isoformat(),
        "values": dict(ev.values),
        "score": str(ev.score),
        "notes": ev.notes,
    }


def visit_record(visit: FollowUpVisit) -> dict:
    return {
        "administration": visit.administration.number,
        "instrument_use": visit.instrument_use_id,
        "month": visit.month,
        "due_on": visit.due_on.isoformat(),
        "window_start": visit.window_start.isoformat(),
        "window_end": visit.window_end.isoformat(),
        "status": visit.status,
        "evaluation": visit.evaluation_id,
        "missed_reason": visit.missed_reason,
    }


def safety_report_record(report: SafetyReport) -> dict:
    return {
        "number": report.number,
        "kind": report.kind,
        "adverse_event": report.adverse_event.number if report.adverse_event_id else None,
        "product": report.product.code if report.product_id else None,
        "period_start": _day(report.period_start),
        "period_end": _day(report.period_end),
        "clock_start": report.clock_start.isoformat(),
        "due_on": report.due_on.isoformat(),
        "submitted_on": _day(report.submitted_on),
        "submitted_to": report.submitted_to,
        "authority_reference": report.authority_reference,
        "late": report.late,
        "late_reason": report.late_reason,
    }


# ICH E2B(R3) patient age groups (D.2.3) by age in whole years; evqms keeps the birth year only,
# so the age is the onset's year minus it (at most one year too high).
AGE_GROUPS = ((2, "infant"), (12, "child"), (18, "adolescent"), (65, "adult"))


def age_group(age_years: int | None) -> str:
    if age_years is None:
        return "unknown"
    for below, group in AGE_GROUPS:
        if age_years < below:
            return group
    return "elderly"


def safety_case_record(report: SafetyReport) -> dict:
    """The individual case safety report's content as evqms holds it (the ICH E2B fields: patient,
    product, lots, dose, route, dates, event, seriousness criteria, causality, outcome, reporter)."""
    case = {"report": safety_report_record(report)}
    ae = report.adverse_event
    if ae is None:
        return case
    adm = ae.administration
    patient = ae.patient
    onset_local = timezone.localtime(ae.onset)
    age = onset_local.year - patient.birth_year if patient.birth_year else None
    used = list(adm.used.select_related("aliquot__lot__product").order_by("aliquot__container_id"))
    products = sorted({(u.aliquot.lot.product.code, u.aliquot.lot.product.name) for u in used})
    case.update(
        {
            "patient": {
                "code": patient.code,
                "sex": patient.sex or "unknown",
                "birth_year": patient.birth_year,
                "age_years_at_onset": age,
                "age_group": age_group(age),
            },
            "products": [{"code": code, "name": name} for code, name in products],
            "lots": sorted({u.aliquot.lot.number for u in used}),
            "aliquots": [u.aliquot.container_id for u in used],
            "administration": {
                "number": adm.number,
                "administered_at": adm.administered_at.isoformat(),
                "route": adm.route,
                "site": adm.site,
                "dose_particles": str(adm.dose_particles) if adm.dose_particles is not None else None,
                "dose_protein_ug": str(adm.dose_protein_ug) if adm.dose_protein_ug is not None else None,
                "body_weight_kg": str(adm.body_weight_kg) if adm.body_weight_kg is not None else None,
                "physician": adm.physician.signature_name(),
            },
            "event": adverse_event_record(ae),
            "follow_ups": [
                {"learned_on": f.learned_on.isoformat(), "information": f.information, "outcome": f.outcome}
                for f in ae.follow_ups.order_by("learned_on", "id")
            ],
            "reporter": {
                "name": ae.reported_by.signature_name(),
                "username": ae.reported_by.get_username(),
            },
        }
    )
    return case


def evidence_report_record(report) -> dict:
    return {
        "number": report.number,
        "product": report.product.code,
        "year": report.year,
        "language": report.language,
        "sha256": report.sha256,
        "issued_at": report.issued_at.isoformat(),
    }
