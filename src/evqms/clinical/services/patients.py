"""Patients (pseudonymised: the clinic's chart number is hashed, never kept) and their consent."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.clinical.models import Consent, Patient
from evqms.clinical.pseudonym import identity_hash
from evqms.clinical.records import patient_record
from evqms.core import identifiers
from evqms.errors import InputError
from evqms.i18n import _


def get_patient(code: str) -> Patient:
    patient = Patient.objects.filter(code=(code or "").strip()).first()
    if patient is None:
        raise InputError(_("unknown patient {code}").format(code=code), where="patient")
    return patient


@transaction.atomic
def register_patient(
    *,
    actor,
    code: str,
    clinic_identifier: str,
    birth_year: int | None = None,
    sex: str = "",
    consented_on: dt.date | None = None,
    consent_scope: str = "",
) -> Patient:
    """Register a pseudonymised patient: `clinic_identifier` (the clinic's chart number) is hashed, never kept."""
    require(actor, "clinical.register_patient")
    code = identifiers.clean("patient", code, field="code")
    if not (clinic_identifier or "").strip():
        raise InputError(
            _("the clinic identifier is required (it is hashed, not stored)"), where="clinic_identifier"
        )
    identifiers.require_unique("patient", code, field="code")
    digest = identity_hash(clinic_identifier)
    existing = Patient.objects.filter(identity_hash=digest).first()
    if existing:
        raise InputError(
            _("this person is already registered as {code}").format(code=existing.code),
            where="clinic_identifier",
        )
    this_year = timezone.localdate().year
    if birth_year is not None and not (1900 <= int(birth_year) <= this_year):
        raise InputError(_("birth year out of range"), where="birth_year")
    patient = Patient.objects.create(
        code=code,
        identity_hash=digest,
        birth_year=birth_year,
        sex=sex or "",
        registered_by=actor,
        registered_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="patient.register",
        object_type="patient",
        object_id=patient.pk,
        after=patient_record(patient),
    )
    if consented_on:
        _consent(actor, patient, consented_on, consent_scope)
    return patient


def _consent(actor, patient: Patient, consented_on: dt.date, scope: str) -> Consent:
    if consented_on > timezone.localdate():
        raise InputError(_("the consent date is in the future"), where="consented_on")
    consent = Consent.objects.create(
        patient=patient, consented_on=consented_on, scope=scope, recorded_by=actor, recorded_at=timezone.now()
    )
    record_event(
        actor=actor,
        action="patient.consent",
        object_type="patient",
        object_id=patient.pk,
        after={"consented_on": consented_on.isoformat(), "scope": scope},
    )
    return consent


@transaction.atomic
def record_consent(*, actor, patient: Patient, consented_on: dt.date, scope: str = "") -> Consent:
    require(actor, "clinical.register_patient")
    return _consent(actor, patient, consented_on, scope)
