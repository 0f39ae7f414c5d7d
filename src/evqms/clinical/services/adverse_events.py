"""Adverse events of an administration, their investigation and the tests of retained samples."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.clinical.models import (
    CAUSALITY,
    EXPECTEDNESS,
    OUTCOMES,
    Administration,
    AdverseEvent,
    Patient,
    RetainedSampleTest,
)
from evqms.clinical.records import adverse_event_record
from evqms.clinical.services.patients import get_patient
from evqms.clinical.services.safety import clean_criteria, open_report
from evqms.core.db import lock_for_update
from evqms.core.numbering import next_number
from evqms.core.timefmt import display_local
from evqms.errors import InputError
from evqms.i18n import _
from evqms.inventory.models import Aliquot, RetentionSample
from evqms.lots.models import MaterialUsage


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
    ctcae_term: str = "",
    seriousness_criteria=(),
    serious: bool = False,
    seriousness: str = "",
    expectedness: str = "unknown",
    learned_on: dt.date | None = None,
    outcome: str = "unknown",
    outcome_on: dt.date | None = None,
    investigation: str = "",
) -> AdverseEvent:
    """Record an adverse event of an administration. It is serious when it meets a seriousness
    criterion (`serious` is kept equal to that); a serious event opens its initial safety report,
    due from `learned_on` (the day the clinic learnt of it; today when not given)."""
    require(actor, "clinical.record_adverse_event")
    patient = get_patient(patient) if isinstance(patient, str) else patient
    administration = _administration_of(patient, administration)
    if not (description or "").strip():
        raise InputError(_("describe the event"), where="description")
    grade = _ctcae_grade(ctcae_grade)
    _check_coded(causality=causality, outcome=outcome)
    if expectedness not in dict(EXPECTEDNESS):
        raise InputError(_("unknown expectedness {value}").format(value=expectedness), where="expectedness")
    onset = _onset(onset, administration)
    if grade == 5 and outcome != "fatal":
        raise InputError(_("a grade 5 event has the outcome fatal"), where="outcome")
    criteria = clean_criteria(seriousness_criteria, grade)
    if serious and not criteria:
        raise InputError(
            _("a serious event meets at least one seriousness criterion"), where="seriousness_criteria"
        )
    learned_on = _learned_on(learned_on, onset)
    if outcome_on is not None and outcome_on < timezone.localtime(onset).date():
        raise InputError(_("the outcome date is before the onset"), where="outcome_on")
    ae = AdverseEvent.objects.create(
        number=next_number(AdverseEvent, "AE-", width=6),
        patient=patient,
        administration=administration,
        onset=onset,
        description=description.strip(),
        ctcae_term=(ctcae_term or "").strip(),
        ctcae_grade=grade,
        serious=bool(criteria),
        seriousness_criteria=criteria,
        seriousness=seriousness.strip(),
        expectedness=expectedness,
        learned_on=learned_on,
        causality=causality,
        outcome=outcome,
        outcome_on=outcome_on,
        investigation=investigation,
        reported_by=actor,
        reported_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="adverse_event.create",
        object_type="adverse_event",
        object_id=ae.pk,
        after=adverse_event_record(ae),
    )
    if ae.serious:
        open_report(actor=actor, adverse_event=ae, kind="initial", clock_start=learned_on)
    return ae


def _learned_on(learned_on: dt.date | None, onset: dt.datetime) -> dt.date:
    """The day the clinic learnt of the event: not before its onset, not in the future."""
    today = timezone.localdate()
    learned_on = learned_on or today
    if learned_on > today:
        raise InputError(_("the day the clinic learnt of it is in the future"), where="learned_on")
    if learned_on < timezone.localtime(onset).date():
        raise InputError(_("the clinic cannot learn of an event before its onset"), where="learned_on")
    return learned_on


def _administration_of(patient: Patient, administration: Administration | str) -> Administration:
    """The administration (by number or as given), refused unless it is one of `patient`'s."""
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
    return administration


def _ctcae_grade(value) -> int:
    try:
        grade = int(value)
    except (TypeError, ValueError):
        raise InputError(_("the CTCAE grade is a whole number from 1 to 5"), where="ctcae_grade") from None
    if not 1 <= grade <= 5:
        raise InputError(_("the CTCAE grade is a whole number from 1 to 5"), where="ctcae_grade")
    return grade


def _check_coded(*, causality: str | None, outcome: str | None) -> None:
    """Refuse a causality or outcome outside the coded lists (None: not being set)."""
    if causality is not None and causality not in dict(CAUSALITY):
        raise InputError(_("unknown causality {value}").format(value=causality), where="causality")
    if outcome is not None and outcome not in dict(OUTCOMES):
        raise InputError(_("unknown outcome {value}").format(value=outcome), where="outcome")


def _onset(onset: dt.datetime | None, administration: Administration) -> dt.datetime:
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
    return onset


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
    before = adverse_event_record(ae)
    _check_coded(outcome=outcome, causality=causality)
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
        after=adverse_event_record(ae),
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
        recorded_at=timezone.now(),
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
