"""Writes for clinical records: patients, consent, administrations, adverse events, investigations.

Every function checks the role, validates everything before writing, runs in one transaction
(aliquot rows locked), and writes its audit events there: a refusal leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import has_role, require
from evqms.audit.services import record_event
from evqms.clinical.models import (
    CAUSALITY,
    OUTCOMES,
    AdministeredAliquot,
    Administration,
    AdverseEvent,
    Consent,
    Patient,
    RetainedSampleTest,
)
from evqms.clinical.pseudonym import identity_hash
from evqms.core import identifiers
from evqms.core.db import lock_for_update
from evqms.core.timefmt import display_local
from evqms.dossier.models import ROUTES
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import Aliquot, RetentionSample
from evqms.inventory.services import lock_aliquots, mark_administered, refuse_if_held
from evqms.lots.models import MaterialUsage

# Units a dose may be given in, with the factor to the stored unit (particles; micrograms of protein).
PARTICLE_UNITS = {
    "particles": Decimal(1),
    "1e8 particles": Decimal("1e8"),
    "1e9 particles": Decimal("1e9"),
    "1e10 particles": Decimal("1e10"),
    "1e11 particles": Decimal("1e11"),
}
PROTEIN_UNITS = {
    "ug": Decimal(1),
    "µg": Decimal(1),
    "μg": Decimal(1),
    "mg": Decimal(1000),
    "ng": Decimal("0.001"),
}
is_physician = has_role("physician")


def _now() -> dt.datetime:
    return timezone.now()


def _number(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InputError(_("not a number: {value}").format(value=value), where=field) from None
    if not number.is_finite() or number <= 0:
        raise InputError(_("must be a positive number"), where=field)
    return number


def _dose(value, unit: str, units: dict[str, Decimal], field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    unit = (unit or "").strip()
    if unit not in units:
        raise InputError(
            _("unit {unit} is not a unit of this dose; use one of: {units}").format(
                unit=unit or "-", units=", ".join(units)
            ),
            where=field,
        )
    return _number(value, field) * units[unit]


def get_patient(code: str) -> Patient:
    patient = Patient.objects.filter(code=(code or "").strip()).first()
    if patient is None:
        raise InputError(_("unknown patient {code}").format(code=code), where="patient")
    return patient


def patient_snapshot(patient: Patient) -> dict:
    return {
        "code": patient.code,
        "identity_hash": patient.identity_hash,
        "birth_year": patient.birth_year,
        "sex": patient.sex,
    }


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
        registered_at=_now(),
    )
    record_event(
        actor=actor,
        action="patient.register",
        object_type="patient",
        object_id=patient.pk,
        after=patient_snapshot(patient),
    )
    if consented_on:
        _consent(actor, patient, consented_on, consent_scope)
    return patient


def _consent(actor, patient: Patient, consented_on: dt.date, scope: str) -> Consent:
    if consented_on > timezone.localdate():
        raise InputError(_("the consent date is in the future"), where="consented_on")
    consent = Consent.objects.create(
        patient=patient, consented_on=consented_on, scope=scope, recorded_by=actor, recorded_at=_now()
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


def _next_number(model, prefix: str) -> str:
    """ADM-000001, AE-000001: from a locked counter, so two recorded at once never collide."""
    from evqms.core.numbering import next_number

    return next_number(model, f"{prefix}-", width=6)


def administration_snapshot(adm: Administration, containers: list[str]) -> dict:
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


@transaction.atomic
def record_administration(
    *,
    actor,
    patient: Patient | str,
    aliquots: list[str],
    administered_at: dt.datetime,
    route: str,
    site: str = "",
    physician=None,
    dose=None,
    dose_unit: str = "particles",
    protein_dose=None,
    protein_unit: str = "ug",
    body_weight_kg=None,
    notes: str = "",
) -> Administration:
    """Record that `patient` received `aliquots` (container ids). Only released, unexpired, available
    (or reserved) aliquots of a lot that is not recalled can be administered. Without a dose, the
    aliquots' particle counts (and protein) are summed."""
    require(actor, "clinical.record_administration")
    patient = get_patient(patient) if isinstance(patient, str) else patient
    physician = physician or actor
    if not is_physician(physician):
        raise InputError(
            _("{user} is not a physician").format(user=physician.get_username()), where="physician"
        )
    if route not in dict(ROUTES):
        raise InputError(_("unknown route {route}").format(route=route), where="route")
    if administered_at is None:
        raise InputError(_("the time of administration is required"), where="administered_at")
    if timezone.is_naive(administered_at):
        administered_at = timezone.make_aware(administered_at)
    if administered_at > _now() + dt.timedelta(minutes=5):
        raise InputError(_("the time of administration is in the future"), where="administered_at")
    consent = patient.consents.filter(
        consented_on__lte=administered_at.date(), withdrawn_on__isnull=True
    ).exists()
    if not consent:
        raise RuleViolation(
            _("patient {code} has no consent on record for that date").format(code=patient.code)
        )
    containers = [c.strip() for c in aliquots if c and c.strip()]
    if not containers:
        raise InputError(_("name at least one aliquot"), where="aliquots")
    if len(set(containers)) != len(containers):
        raise InputError(_("an aliquot is listed twice"), where="aliquots")
    # Validate the dose first (no lock needed), then lock and check each aliquot.
    particles = _dose(dose, dose_unit, PARTICLE_UNITS, "dose")
    protein = _dose(protein_dose, protein_unit, PROTEIN_UNITS, "protein_dose")
    weight = _number(body_weight_kg, "body_weight_kg") if body_weight_kg not in (None, "") else None
    if weight is not None and weight > 500:
        raise InputError(_("body weight out of range"), where="body_weight_kg")
    locked = {
        a.container_id: a
        for a in lock_aliquots(Aliquot.objects.filter(container_id__in=containers)).select_related(
            "lot", "lot__product", "location"
        )
    }
    day = timezone.localtime(administered_at).date()
    for code in containers:
        aliquot = locked.get(code)
        if aliquot is None:
            raise InputError(_("unknown aliquot {code}").format(code=code), where="aliquots")
        lot = aliquot.lot
        refuse_if_held(aliquot, "administer")  # names the recall or hold that keeps it out of use
        if lot.status == "recalled":
            raise RuleViolation(
                _("lot {lot} is recalled: aliquot {code} must not be administered").format(
                    lot=lot.number, code=code
                )
            )
        if lot.status != "released":
            raise RuleViolation(
                _("lot {lot} is not released ({status}): aliquot {code} cannot be administered").format(
                    lot=lot.number, status=lot.status, code=code
                )
            )
        if lot.expiry and lot.expiry < day:
            raise RuleViolation(
                _("lot {lot} expired on {date}: aliquot {code} cannot be administered").format(
                    lot=lot.number, date=lot.expiry.isoformat(), code=code
                )
            )
        if aliquot.status not in ("available", "reserved"):
            raise RuleViolation(
                _("aliquot {code} is {status}: it cannot be administered").format(
                    code=code, status=aliquot.status
                )
            )
        if lot.product.routes and route not in lot.product.routes:
            raise RuleViolation(
                _("route {route} is not a route of product {product}").format(
                    route=route, product=lot.product.code
                )
            )
    if particles is None:
        counts = [locked[c].particle_count for c in containers]
        particles = sum(counts) if all(v is not None for v in counts) else None
    if protein is None:
        amounts = [locked[c].protein_ug for c in containers]
        protein = sum(amounts) if all(v is not None for v in amounts) else None
    adm = Administration.objects.create(
        number=_next_number(Administration, "ADM"),
        patient=patient,
        physician=physician,
        administered_at=administered_at,
        route=route,
        site=site.strip(),
        dose_particles=particles,
        dose_protein_ug=protein,
        body_weight_kg=weight,
        dose_particles_per_kg=(particles / weight).quantize(Decimal(1)) if particles and weight else None,
        dose_protein_ug_per_kg=(protein / weight).quantize(Decimal("0.0001")) if protein and weight else None,
        notes=notes,
        recorded_by=actor,
        recorded_at=_now(),
    )
    for code in containers:
        AdministeredAliquot.objects.create(administration=adm, aliquot=locked[code])
        mark_administered(actor=actor, aliquot=locked[code], administration_number=adm.number)
    record_event(
        actor=actor,
        action="administration.create",
        object_type="administration",
        object_id=adm.pk,
        after=administration_snapshot(adm, containers),
    )
    return adm


def ae_snapshot(ae: AdverseEvent) -> dict:
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


@transaction.atomic
def record_adverse_event(
    *,
    actor,
    patient: Patient | str,
    administration: Administration | str,
    onset: dt.datetime,
    description: str,
    ctcae_grade,
    causality: str,
    serious: bool = False,
    seriousness: str = "",
    outcome: str = "unknown",
    investigation: str = "",
) -> AdverseEvent:
    require(actor, "clinical.record_adverse_event")
    patient = get_patient(patient) if isinstance(patient, str) else patient
    if isinstance(administration, str):
        found = Administration.objects.filter(number=administration.strip()).first()
        if found is None:
            raise InputError(
                _("unknown administration {number}").format(number=administration), where="administration"
            )
        administration = found
    if administration.patient_id != patient.pk:
        raise InputError(
            _("administration {number} is not one of patient {code}'s").format(
                number=administration.number, code=patient.code
            ),
            where="administration",
        )
    if not (description or "").strip():
        raise InputError(_("describe the event"), where="description")
    try:
        grade = int(ctcae_grade)
    except (TypeError, ValueError):
        raise InputError(_("the CTCAE grade is a whole number from 1 to 5"), where="ctcae_grade") from None
    if not 1 <= grade <= 5:
        raise InputError(_("the CTCAE grade is a whole number from 1 to 5"), where="ctcae_grade")
    if causality not in dict(CAUSALITY):
        raise InputError(_("unknown causality {value}").format(value=causality), where="causality")
    if outcome not in dict(OUTCOMES):
        raise InputError(_("unknown outcome {value}").format(value=outcome), where="outcome")
    if onset is None:
        raise InputError(_("the onset is required"), where="onset")
    if timezone.is_naive(onset):
        onset = timezone.make_aware(onset)
    if onset < administration.administered_at:
        # An event that began before the product was given cannot be caused by it: it is a
        # baseline finding (or a mistyped date), not an adverse event of this administration.
        raise InputError(
            _("the onset ({onset}) is before the administration ({administered})").format(
                onset=display_local(onset), administered=display_local(administration.administered_at)
            ),
            where="onset",
        )
    if grade == 5 and outcome != "fatal":
        raise InputError(_("a grade 5 event has the outcome fatal"), where="outcome")
    serious = bool(serious) or grade >= 4
    if serious and not seriousness.strip() and grade < 4:
        raise InputError(_("name the seriousness criterion"), where="seriousness")
    ae = AdverseEvent.objects.create(
        number=_next_number(AdverseEvent, "AE"),
        patient=patient,
        administration=administration,
        onset=onset,
        description=description.strip(),
        ctcae_grade=grade,
        serious=serious,
        seriousness=seriousness.strip(),
        causality=causality,
        outcome=outcome,
        investigation=investigation,
        reported_by=actor,
        reported_at=_now(),
    )
    record_event(
        actor=actor,
        action="adverse_event.create",
        object_type="adverse_event",
        object_id=ae.pk,
        after=ae_snapshot(ae),
    )
    return ae


@transaction.atomic
def update_investigation(
    *,
    actor,
    adverse_event: AdverseEvent,
    investigation: str,
    outcome: str | None = None,
    causality: str | None = None,
) -> AdverseEvent:
    require(actor, "clinical.record_investigation")
    ae = (
        lock_for_update(AdverseEvent.objects.filter(pk=adverse_event.pk))
        .select_related("patient", "administration")
        .get()
    )
    before = ae_snapshot(ae)
    if outcome is not None and outcome not in dict(OUTCOMES):
        raise InputError(_("unknown outcome {value}").format(value=outcome), where="outcome")
    if causality is not None and causality not in dict(CAUSALITY):
        raise InputError(_("unknown causality {value}").format(value=causality), where="causality")
    ae.investigation = investigation
    ae.outcome = outcome or ae.outcome
    ae.causality = causality or ae.causality
    ae.save(update_fields=["investigation", "outcome", "causality"])
    record_event(
        actor=actor,
        action="adverse_event.investigate",
        object_type="adverse_event",
        object_id=ae.pk,
        before=before,
        after=ae_snapshot(ae),
    )
    return ae


@transaction.atomic
def record_sample_test(
    *,
    actor,
    adverse_event: AdverseEvent,
    retention_sample: RetentionSample,
    test: str,
    result: str,
    tested_on: dt.date,
    conclusion: str = "",
) -> RetainedSampleTest:
    """A test of a retained sample of the administered lot (or of a material lot used in it)."""
    require(actor, "clinical.record_investigation")
    if not test.strip() or not result.strip():
        raise InputError(_("name the test and its result"), where="test")
    lot_ids = set(
        Aliquot.objects.filter(used_in__administration=adverse_event.administration).values_list(
            "lot_id", flat=True
        )
    )
    material_ids = set(
        MaterialUsage.objects.filter(lot_id__in=lot_ids).values_list("material_lot_id", flat=True)
    )
    if retention_sample.lot_id not in lot_ids and retention_sample.material_lot_id not in material_ids:
        raise InputError(
            _("this retention sample is not of the administered lot or its materials"),
            where="retention_sample",
        )
    if retention_sample.status == "not_kept":
        raise InputError(_("no sample was kept"), where="retention_sample")
    row = RetainedSampleTest.objects.create(
        adverse_event=adverse_event,
        retention_sample=retention_sample,
        test=test.strip(),
        result=result.strip(),
        conclusion=conclusion,
        tested_on=tested_on,
        recorded_by=actor,
        recorded_at=_now(),
    )
    record_event(
        actor=actor,
        action="adverse_event.sample_test",
        object_type="adverse_event",
        object_id=adverse_event.pk,
        after={
            "retention_sample": retention_sample.pk,
            "test": row.test,
            "result": row.result,
            "tested_on": tested_on.isoformat(),
            "conclusion": conclusion,
        },
    )
    return row
