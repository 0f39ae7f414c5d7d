"""Change control: each step in order, by whom it may be done, signed where it must be, audited;
and the dossier's approval of a changed version asks for it."""

from __future__ import annotations

import json

import pytest

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.services import SignatureRefused
from evqms.changes import services
from evqms.dossier import services as dossier
from evqms.errors import InputError, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db


def _propose(people, **over):
    fields = dict(
        kind="process",
        title="Xeno-free medium",
        description="platelet lysate replaces FBS",
        product_code="ucmsc-sev-oa",
        impact_assessment="release specification unchanged; validation of three lots",
        quality_impact=True,
        comparability_plan="compare three v2 lots with the v1 history",
    )
    fields.update(over)
    return services.propose_change(actor=people.operator, **fields)


def _approve(people, cr, rf_request, signer=None):
    signer = signer or people.qa
    return services.approve_change(
        request=rf_request, actor=signer, change_request=cr, password=signer.raw_password, reason="ok"
    )


def test_proposal_numbered_audited_and_refused_without_what_it_needs(people):
    cr = _propose(people)
    assert cr.number == "CC-00001" and cr.status == "draft"
    event = AuditEvent.objects.get(action="change_request.propose", object_id=str(cr.pk))
    assert json.loads(event.after)["comparability_plan"] == "compare three v2 lots with the v1 history"
    assert _propose(people).number == "CC-00002"
    with pytest.raises(InputError) as err:
        _propose(people, comparability_plan="  ")
    assert err.value.where == "comparability_plan"
    with pytest.raises(InputError) as err:
        _propose(people, title="")
    assert err.value.where == "title"
    with pytest.raises(InputError) as err:
        _propose(people, kind="weather")
    assert err.value.where == "kind"
    with pytest.raises(PermissionDenied):
        services.propose_change(actor=people.physician, kind="process", title="t", description="d")


def test_approval_is_signed_by_qa_who_did_not_propose(people, rf_request):
    cr = _propose(people)
    with pytest.raises(PermissionDenied):
        _approve(people, cr, rf_request, signer=people.operator)
    qa_made = services.propose_change(actor=people.qa, kind="document", title="SOP", description="revise")
    with pytest.raises(SignatureRefused, match="proposed"):
        _approve(people, qa_made, rf_request, signer=people.qa)
    with pytest.raises(SignatureRefused):
        services.approve_change(request=rf_request, actor=people.qa, change_request=cr, password="wrong")
    cr.refresh_from_db()
    assert cr.status == "draft"
    cr = _approve(people, cr, rf_request)
    assert cr.status == "approved" and cr.approved_at is not None
    signature = Signature.objects.get(object_type="change_request", object_id=str(cr.pk))
    assert signature.meaning == "approval" and signature.signer == people.qa
    assert "compare three v2 lots" in signature.record and '"status"' not in signature.record
    with pytest.raises(RuleViolation, match="Approved"):
        _approve(people, cr, rf_request)


def test_unassessed_change_is_not_approved(people, rf_request):
    cr = _propose(people, impact_assessment="", quality_impact=False, comparability_plan="")
    with pytest.raises(RuleViolation, match="impact assessment"):
        _approve(people, cr, rf_request)
    services.assess_change(
        actor=people.operator,
        change_request=cr,
        impact_assessment="no quality impact: a supplier's new address",
        quality_impact=False,
        comparability_plan="",
    )
    assert _approve(people, cr, rf_request).status == "approved"
    with pytest.raises(RuleViolation, match="reassessed"):
        services.assess_change(
            actor=people.operator,
            change_request=cr,
            impact_assessment="x",
            quality_impact=False,
            comparability_plan="",
        )


def test_reject_needs_a_reason_and_ends_the_request(people, rf_request):
    cr = _propose(people)
    with pytest.raises(InputError):
        services.reject_change(actor=people.qa, change_request=cr, reason=" ")
    cr = services.reject_change(actor=people.qa, change_request=cr, reason="not justified")
    assert cr.status == "rejected"
    with pytest.raises(RuleViolation):
        _approve(people, cr, rf_request)


def _process(people, product, rf_request):
    v1 = dossier.create_process_version(actor=people.operator, product=product, description="first")
    dossier.add_process_step(actor=people.operator, process=v1, kind="culture", name="Culture")
    dossier.approve_process(request=rf_request, actor=people.qa, process=v1, password=people.qa.raw_password)
    return v1, dossier.create_process_version(actor=people.operator, product=product, description="second")


def test_changed_version_is_approved_only_under_an_approved_change(people, product, rf_request):
    v1, v2 = _process(people, product, rf_request)
    with pytest.raises(RuleViolation, match="only under an approved change request"):
        dossier.approve_process(
            request=rf_request, actor=people.qa, process=v2, password=people.qa.raw_password
        )
    draft = _propose(people)
    with pytest.raises(InputError, match="Draft") as err:
        dossier.link_process_change_request(actor=people.operator, process=v2, change_request=draft)
    assert err.value.where == "change_request"
    spec_change = _propose(people, kind="specification")
    _approve(people, spec_change, rf_request)
    with pytest.raises(InputError, match="a change of: Specification; it cannot carry a process"):
        dossier.link_process_change_request(actor=people.operator, process=v2, change_request=spec_change)
    other = _propose(people, product_code="another-product")
    _approve(people, other, rf_request)
    with pytest.raises(InputError, match="another-product"):
        dossier.link_process_change_request(actor=people.operator, process=v2, change_request=other)
    cr = _approve(people, draft, rf_request)
    dossier.link_process_change_request(actor=people.operator, process=v2, change_request=cr)
    v2 = dossier.approve_process(
        request=rf_request, actor=people.qa, process=v2, password=people.qa.raw_password
    )
    assert v2.status == "approved"
    signed = Signature.objects.get(object_type="process", object_id=str(v2.pk))
    assert json.loads(signed.record)["change_request"] == cr.number
    # the first version was approved without one, and its signed record has no such field
    assert "change_request" not in Signature.objects.get(object_type="process", object_id=str(v1.pk)).record


def test_implementation_and_closure_in_order(people, product, rf_request):
    from evqms.compliance.services import approve_comparability

    _v1, v2 = _process(people, product, rf_request)
    cr = _propose(people)
    with pytest.raises(RuleViolation, match="approve it first"):
        services.record_implementation(actor=people.operator, change_request=cr, summary="done")
    cr = _approve(people, cr, rf_request)
    dossier.link_process_change_request(actor=people.operator, process=v2, change_request=cr)
    cr = services.record_implementation(actor=people.operator, change_request=cr, summary="v2 in use")
    assert cr.status == "implemented"
    assert services.closure_problems(cr) == [
        "process v2 made under this change is still a draft",
        "the change may affect quality: record its comparability assessment before closing",
    ]
    with pytest.raises(RuleViolation, match="still a draft"):
        services.close_change(
            request=rf_request, actor=people.qa, change_request=cr, password=people.qa.raw_password
        )
    dossier.approve_process(request=rf_request, actor=people.qa, process=v2, password=people.qa.raw_password)
    record = approve_comparability(
        request=rf_request, actor=people.qa, process=v2, summary="comparable", password=people.qa.raw_password
    )
    assert record.change_request == cr
    with pytest.raises(PermissionDenied):
        services.close_change(
            request=rf_request,
            actor=people.operator,
            change_request=cr,
            password=people.operator.raw_password,
        )
    cr = services.close_change(
        request=rf_request, actor=people.qa, change_request=cr, password=people.qa.raw_password
    )
    assert cr.status == "closed" and cr.closure_signature is not None
    actions = list(
        AuditEvent.objects.filter(object_type="change_request", object_id=str(cr.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "change_request.propose",
        "signature.approval",
        "change_request.approve",
        "change_request.implement",
        "signature.approval",
        "change_request.close",
    ]
