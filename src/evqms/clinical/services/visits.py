"""Baseline evaluations, the follow-up visits planned from them, and what became of each visit.

A baseline is evaluated before the administration; recording it plans one visit per month of the
product's schedule (an instrument that rates the change itself, such as PGIC, takes no baseline:
its visits are planned when the administration is recorded), due that many calendar months after the administration's local date, within
± the window. A visit is done when its evaluation is recorded, missed only when someone records
why: a visit is never silently absent.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.clinical.models import Administration, Evaluation, FollowUpVisit, InstrumentUse
from evqms.clinical.records import evaluation_record, visit_record
from evqms.clinical.services.outcomes import administered_products, score, stored_definition, uses_for
from evqms.core.db import lock_for_update
from evqms.core.timefmt import display_local
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _


def due_date(administered_on: dt.date, month: int) -> dt.date:
    """`month` calendar months after the administration (31 January + 1 month is 28/29 February)."""
    return administered_on + relativedelta(months=month)


def visit_state(visit: FollowUpVisit, today: dt.date | None = None) -> str:
    """done, missed, or for a scheduled visit: upcoming (window not open), due (open) or overdue."""
    if visit.status != "scheduled":
        return visit.status
    today = today or timezone.localdate()
    if today < visit.window_start:
        return "upcoming"
    if today <= visit.window_end:
        return "due"
    return "overdue"


def _evaluation_time(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        raise InputError(_("the time of the evaluation is required"), where="evaluated_at")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + dt.timedelta(minutes=5):
        raise InputError(_("the time of the evaluation is in the future"), where="evaluated_at")
    return moment


def schedule_visits(
    *, administration: Administration, use: InstrumentUse, baseline: Evaluation | None = None
) -> list[FollowUpVisit]:
    """The visits of `use`'s schedule for `administration` (inside the caller's transaction),
    planned from `baseline`, or from the administration alone for an instrument without one."""
    day = timezone.localtime(administration.administered_at).date()
    window = dt.timedelta(days=use.window_days)
    visits = []
    for month in use.follow_up_months:
        due = due_date(day, month)
        visits.append(
            FollowUpVisit.objects.create(
                baseline=baseline,
                instrument_use=use,
                administration=administration,
                month=month,
                due_on=due,
                window_start=due - window,
                window_end=due + window,
            )
        )
    return visits


def _usable(adm: Administration, use: InstrumentUse) -> InstrumentUse:
    """`use` read again with its instrument and product; refused unless it is active and for a
    product given in `adm`."""
    use = InstrumentUse.objects.select_related("instrument", "product").get(pk=use.pk)
    if use.product_id not in administered_products(adm):
        raise InputError(
            _("{code} is not used for the product given in {number}").format(
                code=use.instrument.code, number=adm.number
            ),
            where="use",
        )
    if not use.active:
        raise RuleViolation(
            _("{code} is no longer used for {product}").format(
                code=use.instrument.code, product=use.product.code
            )
        )
    return use


def plan_change_visits(administration: Administration) -> list[FollowUpVisit]:
    """Plan the visits of every active instrument without a baseline (one rating the change itself,
    such as PGIC) that the administered product uses and that has none planned yet for
    `administration`. The administration's own service calls it when the administration is
    recorded; `plan_visits_without_baseline` for one given before such an instrument was enabled.
    Inside the caller's transaction; the caller records the audit event."""
    planned = set(
        FollowUpVisit.objects.filter(administration=administration).values_list(
            "instrument_use_id", flat=True
        )
    )
    visits = []
    for use in uses_for(administration):
        if not use.instrument.needs_baseline and use.pk not in planned:
            visits += schedule_visits(administration=administration, use=use)
    return visits


@transaction.atomic
def plan_visits_without_baseline(*, actor, administration: Administration) -> list[FollowUpVisit]:
    """The physician's action: plan the missing visits of the instruments without a baseline."""
    require(actor, "clinical.record_evaluation")
    adm = lock_for_update(Administration.objects.filter(pk=administration.pk)).get()
    visits = plan_change_visits(adm)
    if not visits:
        raise RuleViolation(
            _("{number} has no instrument without a baseline whose visits are still to plan").format(
                number=adm.number
            )
        )
    record_event(
        actor=actor,
        action="visit.planned",
        object_type="administration",
        object_id=adm.pk,
        after={"visits": [visit_record(v) for v in visits]},
    )
    return visits


@transaction.atomic
def record_baseline(
    *,
    actor,
    administration: Administration,
    use: InstrumentUse,
    evaluated_at: dt.datetime,
    values: dict,
    notes: str = "",
) -> Evaluation:
    """The evaluation before the administration, and the follow-up visits planned from it."""
    require(actor, "clinical.record_evaluation")
    adm = lock_for_update(Administration.objects.filter(pk=administration.pk)).select_related("patient").get()
    use = _usable(adm, use)
    if not use.instrument.needs_baseline:
        raise RuleViolation(
            _("{code} rates the change itself: it takes no baseline").format(code=use.instrument.code)
        )
    evaluated_at = _evaluation_time(evaluated_at)
    if evaluated_at > adm.administered_at:
        raise InputError(
            _(
                "a baseline is evaluated before the administration ({administered}), not at {evaluated}"
            ).format(administered=display_local(adm.administered_at), evaluated=display_local(evaluated_at)),
            where="evaluated_at",
        )
    existing = Evaluation.objects.filter(administration=adm, instrument_use=use, kind="baseline").first()
    if existing is not None:
        raise RuleViolation(
            _("{number} already has a {code} baseline (evaluated {when})").format(
                number=adm.number, code=use.instrument.code, when=display_local(existing.evaluated_at)
            )
        )
    clean, total = score(stored_definition(use.instrument), values)
    evaluation = Evaluation.objects.create(
        patient=adm.patient,
        administration=adm,
        instrument_use=use,
        instrument=use.instrument,
        kind="baseline",
        evaluated_at=evaluated_at,
        values=clean,
        score=total,
        notes=(notes or "").strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    visits = schedule_visits(administration=adm, use=use, baseline=evaluation)
    record_event(
        actor=actor,
        action="evaluation.baseline",
        object_type="administration",
        object_id=adm.pk,
        after={**evaluation_record(evaluation), "visits": [visit_record(v) for v in visits]},
    )
    return evaluation


def _locked_open_visit(visit: FollowUpVisit) -> FollowUpVisit:
    """The visit's row, locked; refused unless it is still scheduled (one outcome per visit)."""
    # The row alone: PostgreSQL cannot lock the nullable side of an outer join (the evaluation).
    locked = lock_for_update(FollowUpVisit.objects.filter(pk=visit.pk)).get()
    label = _("visit month {month} of {number}").format(
        month=locked.month, number=locked.administration.number
    )
    if locked.status == "done":
        raise RuleViolation(
            _("{visit} is already done (evaluated {when})").format(
                visit=label, when=display_local(locked.evaluation.evaluated_at)
            )
        )
    if locked.status == "missed":
        raise RuleViolation(
            _("{visit} is recorded as missed: {reason}").format(visit=label, reason=locked.missed_reason)
        )
    return locked


@transaction.atomic
def record_follow_up(
    *, actor, visit: FollowUpVisit, evaluated_at: dt.datetime, values: dict, notes: str = ""
) -> Evaluation:
    """The evaluation at a planned visit (with the baseline's instrument); the visit becomes done.
    An evaluation outside the window is kept and shown as such: it is what happened."""
    require(actor, "clinical.record_evaluation")
    locked = _locked_open_visit(visit)
    adm = locked.administration
    evaluated_at = _evaluation_time(evaluated_at)
    if evaluated_at <= adm.administered_at:
        raise InputError(
            _("a follow-up is evaluated after the administration ({administered})").format(
                administered=display_local(adm.administered_at)
            ),
            where="evaluated_at",
        )
    use = locked.instrument_use
    clean, total = score(stored_definition(use.instrument), values)
    evaluation = Evaluation.objects.create(
        patient_id=adm.patient_id,
        administration=adm,
        instrument_use=use,
        instrument=use.instrument,
        kind="follow_up",
        evaluated_at=evaluated_at,
        values=clean,
        score=total,
        notes=(notes or "").strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    before = visit_record(locked)
    locked.status = "done"
    locked.evaluation = evaluation
    locked.closed_by = actor
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "evaluation", "closed_by", "closed_at"])
    record_event(
        actor=actor,
        action="evaluation.follow_up",
        object_type="administration",
        object_id=adm.pk,
        before=before,
        after={**evaluation_record(evaluation), "visit": visit_record(locked)},
    )
    return evaluation


@transaction.atomic
def record_missed_visit(*, actor, visit: FollowUpVisit, reason: str) -> FollowUpVisit:
    """A planned visit that did not happen, with why (moved away, declined, could not be reached)."""
    require(actor, "clinical.record_evaluation")
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("say why the visit was missed"), where="reason")
    locked = _locked_open_visit(visit)
    before = visit_record(locked)
    locked.status = "missed"
    locked.missed_reason = reason
    locked.closed_by = actor
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "missed_reason", "closed_by", "closed_at"])
    record_event(
        actor=actor,
        action="visit.missed",
        object_type="administration",
        object_id=locked.administration_id,
        before=before,
        after=visit_record(locked),
        reason=reason,
    )
    return locked
