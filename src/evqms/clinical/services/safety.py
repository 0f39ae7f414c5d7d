"""Serious adverse events: their reporting clock, the safety reports and their signed submission.

The clock starts on the day the clinic learnt of the event (`AdverseEvent.learned_on`); the report
is due EVQMS_SAE_DAYS_FATAL days later when the event meets a criterion of death or a threat to
life, else EVQMS_SAE_DAYS_SERIOUS days later. A submission is recorded with the physician's
signature (password re-entered) and is late when it was made after the due date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.clinical.models import (
    FATAL_CRITERIA,
    OUTCOMES,
    SERIOUSNESS_CRITERIA,
    AdverseEvent,
    AdverseEventFollowUp,
    SafetyReport,
)
from evqms.clinical.records import adverse_event_record, safety_case_record, safety_report_record
from evqms.core.db import lock_for_update
from evqms.core.numbering import next_number
from evqms.dossier.models import Product
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _


def reporting_days(criteria) -> int:
    """Days allowed for a report of an event meeting `criteria` (the settings name the numbers)."""
    if set(criteria or ()) & FATAL_CRITERIA:
        return settings.EVQMS_SAE_DAYS_FATAL
    return settings.EVQMS_SAE_DAYS_SERIOUS


def clean_criteria(values, grade: int) -> list[str]:
    """The seriousness criteria as a sorted list of codes. A CTCAE grade 5 event meets "death" and a
    grade 4 event (life-threatening consequences by CTCAE's definition) with no criterion named
    meets "life-threatening": the grade and the criteria never disagree."""
    if isinstance(values, str):
        values = [v for v in values.replace(",", " ").split() if v]
    codes = set(values or ())
    unknown = codes - set(dict(SERIOUSNESS_CRITERIA))
    if unknown:
        raise InputError(
            _("unknown seriousness criterion {value}").format(value=", ".join(sorted(unknown))),
            where="seriousness_criteria",
        )
    if grade == 5:
        codes.add("death")
    if grade == 4 and not codes:
        codes.add("life_threatening")
    return sorted(codes)


def report_due_on(criteria, learned_on: dt.date) -> dt.date:
    return learned_on + dt.timedelta(days=reporting_days(criteria))


@dataclass(frozen=True)
class Clock:
    """Where a report stands on `today`: open (days_left >= 0), overdue, submitted or late."""

    due_on: dt.date
    days_left: int | None
    state: str

    @property
    def overdue(self) -> bool:
        return self.state in ("overdue", "late")

    @property
    def days_overdue(self) -> int:
        return -self.days_left if self.state == "overdue" else 0


def clock(report: SafetyReport, today: dt.date | None = None) -> Clock:
    if report.submitted_on is not None:
        return Clock(report.due_on, None, "late" if report.late else "submitted")
    today = today or timezone.localdate()
    left = (report.due_on - today).days
    return Clock(report.due_on, left, "open" if left >= 0 else "overdue")


def open_report(*, actor, adverse_event: AdverseEvent, kind: str, clock_start: dt.date) -> SafetyReport:
    """A report to make (inside the caller's transaction), due by the event's criteria."""
    report = SafetyReport.objects.create(
        number=next_number(SafetyReport, "SR-", width=5),
        kind=kind,
        adverse_event=adverse_event,
        product_id=_product_id(adverse_event),
        clock_start=clock_start,
        due_on=report_due_on(adverse_event.seriousness_criteria, clock_start),
        created_by=actor,
        created_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="safety_report.open",
        object_type="safety_report",
        object_id=report.pk,
        after=safety_report_record(report),
    )
    return report


def _product_id(ae: AdverseEvent) -> int | None:
    return ae.administration.used.values_list("aliquot__lot__product_id", flat=True).first()


@transaction.atomic
def record_ae_follow_up(
    *,
    actor,
    adverse_event: AdverseEvent,
    learned_on: dt.date,
    information: str,
    outcome: str = "",
    seriousness_criteria=None,
    needs_report: bool = True,
) -> AdverseEventFollowUp:
    """New information on an event, dated the day the clinic learnt it. New criteria may make the
    event serious (its initial report's clock starts that day); new information on a serious event
    whose initial report was made opens a follow-up report, unless `needs_report` is false."""
    require(actor, "clinical.record_adverse_event")
    ae = (
        lock_for_update(AdverseEvent.objects.filter(pk=adverse_event.pk))
        .select_related("patient", "administration")
        .get()
    )
    information = (information or "").strip()
    if not information:
        raise InputError(_("describe the new information"), where="information")
    if outcome and outcome not in dict(OUTCOMES):
        raise InputError(_("unknown outcome {value}").format(value=outcome), where="outcome")
    if learned_on is None:
        raise InputError(_("the day the clinic learnt of it is required"), where="learned_on")
    if learned_on > timezone.localdate():
        raise InputError(_("the day the clinic learnt of it is in the future"), where="learned_on")
    if ae.learned_on and learned_on < ae.learned_on:
        raise InputError(
            _("the event was first learnt of on {day}: a follow-up comes after it").format(
                day=ae.learned_on.isoformat()
            ),
            where="learned_on",
        )
    before = adverse_event_record(ae)
    was_serious = ae.serious
    row = AdverseEventFollowUp.objects.create(
        adverse_event=ae,
        learned_on=learned_on,
        information=information,
        outcome=outcome or "",
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    if outcome:
        ae.outcome = outcome
    if seriousness_criteria is not None:
        added = clean_criteria(seriousness_criteria, ae.ctcae_grade)
        ae.seriousness_criteria = sorted(set(ae.seriousness_criteria) | set(added))
        ae.serious = bool(ae.seriousness_criteria)
    ae.save(update_fields=["outcome", "seriousness_criteria", "serious"])
    record_event(
        actor=actor,
        action="adverse_event.follow_up",
        object_type="adverse_event",
        object_id=ae.pk,
        before=before,
        after={
            **adverse_event_record(ae),
            "follow_up": {"learned_on": learned_on.isoformat(), "information": information},
        },
    )
    if ae.serious and not was_serious:
        open_report(actor=actor, adverse_event=ae, kind="initial", clock_start=learned_on)
    elif ae.serious and needs_report:
        # A serious event recorded before the clock existed has no report yet: this one is its first.
        kind = "follow_up" if ae.safety_reports.exists() else "initial"
        open_report(actor=actor, adverse_event=ae, kind=kind, clock_start=learned_on)
    return row


@transaction.atomic
def schedule_periodic_report(
    *, actor, product: Product, period_start: dt.date, period_end: dt.date, due_on: dt.date
) -> SafetyReport:
    """A periodic report of a product's events over a period, due on a date the site sets."""
    require(actor, "clinical.record_safety_report")
    if period_start is None or period_end is None or period_end < period_start:
        raise InputError(_("the period ends on or after its start"), where="period_end")
    if due_on is None or due_on < period_end:
        raise InputError(_("a periodic report is due after its period ends"), where="due_on")
    report = SafetyReport.objects.create(
        number=next_number(SafetyReport, "SR-", width=5),
        kind="periodic",
        product=product,
        period_start=period_start,
        period_end=period_end,
        clock_start=period_end,
        due_on=due_on,
        created_by=actor,
        created_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="safety_report.open",
        object_type="safety_report",
        object_id=report.pk,
        after=safety_report_record(report),
    )
    return report


def record_submission(
    *,
    request,
    actor,
    report: SafetyReport,
    password: str,
    submitted_on: dt.date,
    submitted_to: str,
    authority_reference: str = "",
    late_reason: str = "",
) -> SafetyReport:
    """Record that the report was submitted on `submitted_on`, signed by the physician (the password
    is asked again). Submitted after its due date it is late, and the reason is required."""
    require(actor, "clinical.record_safety_report")
    submitted_to = (submitted_to or "").strip()
    late_reason = (late_reason or "").strip()
    if not password:
        raise InputError(_("enter your password to sign"), where="password")
    if submitted_on is None:
        raise InputError(_("the day it was submitted is required"), where="submitted_on")
    if submitted_on > timezone.localdate():
        raise InputError(_("the submission date is in the future"), where="submitted_on")
    if submitted_on < report.clock_start:
        raise InputError(
            _("the submission date is before the clock started ({day})").format(
                day=report.clock_start.isoformat()
            ),
            where="submitted_on",
        )
    if not submitted_to:
        raise InputError(_("name where it was submitted"), where="submitted_to")
    late = submitted_on > report.due_on
    if late and not late_reason:
        raise InputError(
            _("submitted after the due date {day}: say why it is late").format(day=report.due_on.isoformat()),
            where="late_reason",
        )
    # The password is checked before the transaction: a wrong one is a failed login that must stay recorded.
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        # The row alone: PostgreSQL cannot lock the nullable side of an outer join (event, product).
        locked = lock_for_update(SafetyReport.objects.filter(pk=report.pk)).get()
        if locked.submitted_on is not None:
            raise RuleViolation(
                _("report {number} was already submitted on {day}").format(
                    number=locked.number, day=locked.submitted_on.isoformat()
                )
            )
        before = safety_report_record(locked)
        locked.case = safety_case_record(locked)
        locked.submitted_on = submitted_on
        locked.submitted_to = submitted_to
        locked.authority_reference = (authority_reference or "").strip()
        locked.late = late
        locked.late_reason = late_reason if late else ""
        locked.submission_recorded_by = actor
        locked.submission_recorded_at = timezone.now()
        signed = safety_report_record(locked)
        locked.signature = write_signature(
            signer=actor,
            meaning="authorship",
            object_type="safety_report",
            object_id=locked.pk,
            record=signed,
            reason=_("submission of safety report {number}").format(number=locked.number),
        )
        locked.save()
        record_event(
            actor=actor,
            action="safety_report.submit",
            object_type="safety_report",
            object_id=locked.pk,
            before=before,
            after=signed,
        )
    return locked


@transaction.atomic
def mark_generated(*, actor, report: SafetyReport) -> SafetyReport:
    """Note when the report's document was (last) generated."""
    require(actor, "clinical.record_safety_report")
    locked = lock_for_update(SafetyReport.objects.filter(pk=report.pk)).get()
    locked.generated_at = timezone.now()
    locked.save(update_fields=["generated_at"])
    record_event(
        actor=actor,
        action="safety_report.generate",
        object_type="safety_report",
        object_id=locked.pk,
        after={"number": locked.number, "generated_at": locked.generated_at.isoformat()},
    )
    return locked
