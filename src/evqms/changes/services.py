"""Change requests: proposed, assessed, approved (signed), implemented, closed (signed) or rejected.

Every write checks its permission, keeps the audit event in the same transaction and refuses a
step out of order with the reason. Approval and closure re-ask the password; whoever proposed the
change may not approve it (separation of duties)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.changes.models import KINDS, ChangeRequest
from evqms.changes.records import change_request_record, change_request_signed_record
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.core.numbering import next_number
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _


def _locked(cr: ChangeRequest) -> ChangeRequest:
    return lock_for_update(ChangeRequest.objects.filter(pk=cr.pk)).get()


def _in_status(cr: ChangeRequest, *statuses: str, doing: str) -> None:
    if cr.status not in statuses:
        raise RuleViolation(
            _("change request {number} is {status}: it cannot be {doing}").format(
                number=cr.number, status=cr.get_status_display(), doing=doing
            )
        )


def _save(cr: ChangeRequest, *, actor, action: str, before: dict, fields: list[str], reason: str = ""):
    cr.save(update_fields=fields)
    record_event(
        actor=actor,
        action=action,
        object_type="change_request",
        object_id=cr.pk,
        before=before,
        after=change_request_record(cr),
        reason=reason,
    )
    return cr


def _assessment(quality_impact: bool, comparability_plan: str) -> str:
    plan = (comparability_plan or "").strip()
    if quality_impact and not plan:
        raise InputError(
            _("a change that may affect quality needs a comparability plan"), where="comparability_plan"
        )
    return plan


@transaction.atomic
def propose_change(
    *,
    actor,
    kind: str,
    title: str,
    description: str,
    product_code: str = "",
    impact_assessment: str = "",
    quality_impact: bool = False,
    comparability_plan: str = "",
) -> ChangeRequest:
    require(actor, "changes.propose")
    if kind not in dict(KINDS):
        raise InputError(_("unknown kind of change {kind}").format(kind=kind), where="kind")
    cr = ChangeRequest.objects.create(
        number=next_number(ChangeRequest, "CC-", width=5),
        kind=kind,
        title=required_text(title, "title", _("give the change a title")),
        description=required_text(description, "description", _("describe the change and why")),
        product_code=(product_code or "").strip(),
        impact_assessment=(impact_assessment or "").strip(),
        quality_impact=bool(quality_impact),
        comparability_plan=_assessment(quality_impact, comparability_plan),
        opened_by=actor,
        opened_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="change_request.propose",
        object_type="change_request",
        object_id=cr.pk,
        after=change_request_record(cr),
    )
    return cr


@transaction.atomic
def assess_change(
    *,
    actor,
    change_request: ChangeRequest,
    impact_assessment: str,
    quality_impact: bool,
    comparability_plan: str,
) -> ChangeRequest:
    """The impact assessment and, where quality may change, the comparability plan (while a draft)."""
    require(actor, "changes.propose")
    cr = _locked(change_request)
    _in_status(cr, "draft", doing=_("reassessed"))
    before = change_request_record(cr)
    cr.impact_assessment = required_text(
        impact_assessment, "impact_assessment", _("state the impact of the change")
    )
    cr.quality_impact = bool(quality_impact)
    cr.comparability_plan = _assessment(quality_impact, comparability_plan)
    return _save(
        cr,
        actor=actor,
        action="change_request.assess",
        before=before,
        fields=["impact_assessment", "quality_impact", "comparability_plan"],
    )


def approve_change(*, request, actor, change_request: ChangeRequest, password: str, reason: str = ""):
    """QA approves the assessed change with a signature; whoever proposed it may not."""
    require(actor, "changes.approve")
    why = _("whoever proposed a change may not approve it")
    check_signing_password(
        request=request, signer=actor, password=password, prohibited=[(change_request.opened_by_id, why)]
    )
    with transaction.atomic():
        cr = _locked(change_request)
        _in_status(cr, "draft", doing=_("approved"))
        if not cr.impact_assessment.strip():
            raise RuleViolation(
                _("change request {number} has no impact assessment: assess it before approval").format(
                    number=cr.number
                )
            )
        before = change_request_record(cr)
        cr.approval_signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="change_request",
            object_id=cr.pk,
            record=change_request_signed_record(cr),
            reason=reason,
        )
        cr.status, cr.approved_at = "approved", timezone.now()
        return _save(
            cr,
            actor=actor,
            action="change_request.approve",
            before=before,
            fields=["approval_signature", "status", "approved_at"],
            reason=reason,
        )


@transaction.atomic
def reject_change(*, actor, change_request: ChangeRequest, reason: str) -> ChangeRequest:
    require(actor, "changes.approve")
    cr = _locked(change_request)
    _in_status(cr, "draft", doing=_("rejected"))
    before = change_request_record(cr)
    cr.rejection_reason = required_text(reason, "reason", _("say why the change is rejected"))
    cr.status = "rejected"
    return _save(
        cr,
        actor=actor,
        action="change_request.reject",
        before=before,
        fields=["rejection_reason", "status"],
        reason=cr.rejection_reason,
    )


@transaction.atomic
def record_implementation(*, actor, change_request: ChangeRequest, summary: str) -> ChangeRequest:
    require(actor, "changes.implement")
    cr = _locked(change_request)
    _in_status(cr, "approved", doing=_("implemented (approve it first)"))
    before = change_request_record(cr)
    cr.implementation_summary = required_text(summary, "summary", _("say what was implemented"))
    cr.implemented_by, cr.implemented_at, cr.status = actor, timezone.now(), "implemented"
    return _save(
        cr,
        actor=actor,
        action="change_request.implement",
        before=before,
        fields=["implementation_summary", "implemented_by", "implemented_at", "status"],
    )


def closure_problems(cr: ChangeRequest) -> list[str]:
    """What still stands in the way of closing: the versions made under the change still drafts,
    and, where quality may change, the comparability record not yet approved. Read through the
    relations the areas above declare towards the change request (no import of them here)."""
    problems = []
    for relation, what in (
        ("process_versions", _("process")),
        ("specification_versions", _("specification")),
    ):
        for version in getattr(cr, relation).all():
            if version.status == "draft":
                problems.append(
                    _("{what} v{version} made under this change is still a draft").format(
                        what=what, version=version.version
                    )
                )
    if cr.quality_impact and not cr.comparability_records.exists():
        problems.append(
            _("the change may affect quality: record its comparability assessment before closing")
        )
    return problems


def close_change(*, request, actor, change_request: ChangeRequest, password: str, reason: str = ""):
    """QA closes an implemented change with a signature once nothing is left open."""
    require(actor, "changes.close")
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        cr = _locked(change_request)
        _in_status(cr, "implemented", doing=_("closed (record its implementation first)"))
        problems = closure_problems(cr)
        if problems:
            raise RuleViolation(
                _("change request {number} cannot be closed: {problems}").format(
                    number=cr.number, problems="; ".join(problems)
                )
            )
        before = change_request_record(cr)
        cr.closure_signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="change_request",
            object_id=cr.pk,
            record=change_request_record(cr),
            reason=reason or _("change closed"),
        )
        cr.status, cr.closed_at = "closed", timezone.now()
        return _save(
            cr,
            actor=actor,
            action="change_request.close",
            before=before,
            fields=["closure_signature", "status", "closed_at"],
            reason=reason,
        )
