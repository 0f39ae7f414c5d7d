"""Every write to a CAPA: open it, link deviations, plan and complete actions, record the
effectiveness check (not before its planned date) and close it with QA's signature."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.capa.models import Capa, CapaAction
from evqms.capa.records import capa_record, capa_signed_record
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.core.numbering import next_number
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.lots.models import Deviation

MAX_INTERVAL_DAYS = 3650


def _audit(actor, action: str, capa: Capa, before: dict | None, reason: str = "") -> None:
    record_event(
        actor=actor,
        action=action,
        object_type="capa",
        object_id=capa.pk,
        before=before,
        after=capa_record(capa),
        reason=reason,
    )


def _locked_open(capa: Capa, doing: str) -> Capa:
    capa = lock_for_update(Capa.objects.filter(pk=capa.pk)).get()
    if capa.status != "open":
        raise RuleViolation(
            _("CAPA {number} is closed: cannot {action}").format(number=capa.number, action=doing)
        )
    return capa


def _interval(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise InputError(_("give a whole number of days"), where="effectiveness_after_days") from None
    if not 0 <= days <= MAX_INTERVAL_DAYS:
        raise InputError(
            _("between 0 and {most} days").format(most=MAX_INTERVAL_DAYS), where="effectiveness_after_days"
        )
    return days


def _deviations(deviations) -> list[Deviation]:
    out = []
    for d in deviations:
        if not isinstance(d, Deviation):
            raise InputError(_("unknown deviation"), where="deviations")
        if d.pk not in {x.pk for x in out}:
            out.append(d)
    return out


@transaction.atomic
def create_capa(
    *,
    actor,
    title: str,
    kind: str,
    description: str = "",
    deviations=(),
    source_reference: str = "",
    effectiveness_after_days=90,
) -> Capa:
    require(actor, "capa.manage")
    title = required_text(title, "title", _("give the CAPA a title"))
    if kind not in dict(Capa.KINDS):
        raise InputError(_("choose corrective or preventive"), where="kind")
    deviations = _deviations(deviations)
    source_reference = (source_reference or "").strip()
    if not deviations and not source_reference:
        raise InputError(
            _("name the deviation, complaint or audit finding this CAPA answers"), where="source_reference"
        )
    capa = Capa.objects.create(
        number=next_number(Capa, "CAPA-", width=5),
        title=title[:200],
        kind=kind,
        description=(description or "").strip(),
        source_reference=source_reference[:200],
        effectiveness_after_days=_interval(effectiveness_after_days),
        created_by=actor,
        created_at=timezone.now(),
    )
    capa.deviations.set(deviations)
    _audit(actor, "capa.create", capa, None)
    return capa


@transaction.atomic
def link_deviation(*, actor, capa: Capa, deviation: Deviation) -> Capa:
    require(actor, "capa.manage")
    capa = _locked_open(capa, _("link a deviation"))
    before = capa_record(capa)
    capa.deviations.add(deviation)
    _audit(actor, "capa.link_deviation", capa, before)
    return capa


@transaction.atomic
def add_action(*, actor, capa: Capa, description: str, owner, due_on) -> CapaAction:
    """Plan an action. An action added after the effectiveness check (found not effective, say)
    sets the check aside: a new one falls due after this action is done."""
    require(actor, "capa.manage")
    description = required_text(description, "description", _("describe the action"))
    if owner is None or not isinstance(owner, get_user_model()) or not owner.is_active:
        raise InputError(_("choose the person who owns the action"), where="owner")
    if not isinstance(due_on, dt.date):
        raise InputError(_("a due date is required"), where="due_on")
    capa = _locked_open(capa, _("add an action"))
    before = capa_record(capa)
    action = CapaAction.objects.create(capa=capa, description=description, owner=owner, due_on=due_on)
    if capa.effectiveness_result:
        capa.effectiveness_result = ""
        capa.effectiveness_evidence = ""
        capa.effectiveness_checked_by = None
        capa.effectiveness_checked_on = None
        capa.save(
            update_fields=[
                "effectiveness_result",
                "effectiveness_evidence",
                "effectiveness_checked_by",
                "effectiveness_checked_on",
            ]
        )
    _audit(actor, "capa.add_action", capa, before)
    return action


@transaction.atomic
def complete_action(*, actor, action: CapaAction, evidence: str, done_on=None) -> CapaAction:
    """The owner (or QA) records the action done, with evidence and the day it was done (today
    unless given; never in the future)."""
    require(actor, "capa.complete_action", action)
    evidence = required_text(evidence, "evidence", _("give the evidence that the action is done"))
    today = timezone.localdate()
    done_on = today if done_on is None else done_on
    if not isinstance(done_on, dt.date) or isinstance(done_on, dt.datetime):
        raise InputError(_("a date is required"), where="done_on")
    if done_on > today:
        raise InputError(_("{when} is in the future").format(when=done_on.isoformat()), where="done_on")
    capa = _locked_open(action.capa, _("complete an action"))
    action = lock_for_update(CapaAction.objects.filter(pk=action.pk)).get()
    if action.status == "done":
        raise RuleViolation(_("this action is already done"))
    before = capa_record(capa)
    action.status, action.done_by, action.done_on = "done", actor, done_on
    action.evidence, action.recorded_at = evidence, timezone.now()
    action.save(update_fields=["status", "done_by", "done_on", "evidence", "recorded_at"])
    _audit(actor, "capa.complete_action", capa, before, reason=evidence)
    return action


@transaction.atomic
def record_effectiveness(*, actor, capa: Capa, result: str, evidence: str) -> Capa:
    """The effectiveness check, on or after the day it falls due (the last action done plus the
    stated interval)."""
    require(actor, "capa.check_effectiveness")
    if result not in ("effective", "not_effective"):
        raise InputError(_("choose effective or not effective"), where="result")
    evidence = required_text(evidence, "evidence", _("give the evidence of the check"))
    capa = _locked_open(capa, _("record an effectiveness check"))
    due = capa.effectiveness_due_on()
    if due is None:
        raise RuleViolation(_("every action must be done before the effectiveness check"))
    today = timezone.localdate()
    if today < due:
        raise RuleViolation(
            _("the effectiveness check is planned for {date}: it cannot be recorded before then").format(
                date=due.isoformat()
            )
        )
    before = capa_record(capa)
    capa.effectiveness_result, capa.effectiveness_evidence = result, evidence
    capa.effectiveness_checked_by, capa.effectiveness_checked_on = actor, today
    capa.save(
        update_fields=[
            "effectiveness_result",
            "effectiveness_evidence",
            "effectiveness_checked_by",
            "effectiveness_checked_on",
        ]
    )
    _audit(actor, "capa.effectiveness", capa, before, reason=evidence)
    return capa


def closure_refusals(capa: Capa) -> list[str]:
    """Why the CAPA cannot be closed now (empty: it can)."""
    if capa.status != "open":
        return [_("CAPA {number} is already closed").format(number=capa.number)]
    out = []
    actions = list(capa.actions.all())
    if not actions:
        out.append(_("no action is planned"))
    elif any(a.status != "done" for a in actions):
        out.append(_("an action is still open"))
    if not capa.effectiveness_result:
        due = capa.effectiveness_due_on()
        out.append(
            _("the effectiveness check (due {date}) is not recorded").format(date=due.isoformat())
            if due
            else _("the effectiveness check is not recorded")
        )
    elif capa.effectiveness_result != "effective":
        out.append(_("the effectiveness check found the actions not effective: plan further actions"))
    return out


def close_capa(*, request, actor, capa: Capa, password: str, reason: str = "") -> Capa:
    """QA closes the CAPA with the password re-entered (signature meaning "approval")."""
    require(actor, "capa.close")
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        capa = lock_for_update(Capa.objects.filter(pk=capa.pk)).get()
        refusals = closure_refusals(capa)
        if refusals:
            raise RuleViolation(
                _("CAPA {number} cannot be closed: {why}").format(number=capa.number, why="; ".join(refusals))
            )
        before = capa_record(capa)
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="capa",
            object_id=capa.pk,
            record=capa_signed_record(capa),
            reason=(reason or "").strip(),
        )
        capa.status, capa.closed_by, capa.closed_at = "closed", actor, timezone.now()
        capa.close_signature = signature
        capa.save(update_fields=["status", "closed_by", "closed_at", "close_signature"])
        _audit(actor, "capa.close", capa, before, reason=(reason or "").strip())
        return capa
