"""Training records and media fills: who may record them, what is refused, what is audited."""

import datetime as dt
import json

import pytest

from evqms.audit.models import AuditEvent, Signature
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.training import models as m
from evqms.training import services

pytestmark = pytest.mark.django_db


def test_qa_records_training_on_the_approved_version_with_evidence(world, sop):
    doc = sop(version=1)
    record = services.record_training(
        actor=world.qa,
        person=world.operator,
        document=doc,
        trained_on=dt.date(2026, 1, 5),
        trainer=world.qa2,
        method="practical",
        evidence=("sign-off.txt", b"signed off"),
    )
    # sha256 of b"signed off", computed with hashlib outside the code under test
    assert record.evidence_sha256 == "2212f2021ed3fb090ebc9ffe830832349e89e89f8682a0254229f8c498d70817"
    assert record.evidence_name == "sign-off.txt"
    assert record.effective_from == dt.date(2026, 1, 5)
    event = AuditEvent.objects.get(action="training.record", object_id=str(record.pk))
    after = json.loads(event.after)
    assert after["document"] == "SOP-FILL-001" and after["version"] == 1
    with pytest.raises(RuleViolation, match="already has an active training record"):
        services.record_training(
            actor=world.qa,
            person=world.operator,
            document=doc,
            trained_on=dt.date(2026, 1, 6),
            trainer=world.qa2,
            method="practical",
        )


def test_training_refusals(world, sop):
    draft = sop(version=1, status="draft")
    kwargs = dict(
        person=world.operator, trained_on=dt.date(2026, 1, 5), trainer=world.qa, method="assessment"
    )
    with pytest.raises(PermissionDenied):
        services.record_training(actor=world.operator, document=draft, **kwargs)
    with pytest.raises(RuleViolation, match="only the approved version"):
        services.record_training(actor=world.qa, document=draft, **kwargs)
    doc = sop(version=2)
    with pytest.raises(InputError) as exc:
        services.record_training(actor=world.qa, document=doc, **{**kwargs, "method": "video"})
    assert exc.value.where == "method"
    with pytest.raises(InputError) as exc:
        services.record_training(
            actor=world.qa, document=doc, **{**kwargs, "effective_from": dt.date(2026, 1, 4)}
        )
    assert exc.value.where == "effective_from"
    with pytest.raises(InputError) as exc:
        services.record_training(
            actor=world.qa, document=doc, **{**kwargs, "trained_on": dt.date.today() + dt.timedelta(days=2)}
        )
    assert exc.value.where == "trained_on"
    assert not m.TrainingRecord.objects.exists()


def test_revocation_needs_a_reason_and_is_audited(world, sop):
    record = services.record_training(
        actor=world.qa,
        person=world.operator,
        document=sop(version=1),
        trained_on=dt.date(2026, 1, 5),
        trainer=world.qa,
        method="read_understood",
    )
    with pytest.raises(InputError):
        services.revoke_training(actor=world.qa, record=record, reason=" ")
    services.revoke_training(actor=world.qa, record=record, reason="wrong person")
    record.refresh_from_db()
    assert record.status == "revoked" and record.revoked_by == world.qa
    event = AuditEvent.objects.get(action="training.revoke")
    assert json.loads(event.before)["status"] == "active" and json.loads(event.after)["status"] == "revoked"
    with pytest.raises(RuleViolation, match="already revoked"):
        services.revoke_training(actor=world.qa, record=record, reason="again")


def _fill(world, rf_request, **kw):
    args = dict(
        request=rf_request,
        actor=world.qa,
        password=world.qa.raw_password,
        performed_on=dt.date(2026, 4, 1),
        line="BSC-1, room B-201",
        operators={world.operator: "pass"},
        units_filled=120,
        units_incubated=118,
        units_contaminated=0,
    )
    args.update(kw)
    return services.record_media_fill(**args)


def test_media_fill_signed_and_expiry_from_the_setting(world, rf_request, settings):
    run = _fill(world, rf_request)
    assert run.number == "MF-00001" and run.result == "pass" and run.validity_months == 6
    assert "Annex 1" in run.validity_source
    part = run.participants.get()
    assert part.expires_on == dt.date(2026, 10, 1)  # 2026-04-01 + 6 months, by hand
    sig = Signature.objects.get(object_type="media_fill", object_id=str(run.pk))
    assert sig.signer == world.qa and sig.meaning == "approval"
    assert AuditEvent.objects.filter(action="media_fill.record", object_id=str(run.pk)).exists()
    settings.MEDIA_FILL_VALIDITY_MONTHS = 12
    second = _fill(world, rf_request, performed_on=dt.date(2026, 5, 1))
    assert second.number == "MF-00002" and second.participants.get().expires_on == dt.date(2027, 5, 1)


def test_a_contaminated_unit_fails_the_run_and_no_operator_passes_it(world, rf_request):
    with pytest.raises(InputError) as exc:
        _fill(world, rf_request, units_contaminated=1)
    assert exc.value.where == "operators"
    run = _fill(world, rf_request, units_contaminated=1, operators={world.operator: "fail"})
    assert run.result == "fail"


def test_media_fill_refusals(world, rf_request, make_user):
    with pytest.raises(InputError) as exc:
        _fill(world, rf_request, units_incubated=121)
    assert exc.value.where == "units_incubated"
    with pytest.raises(InputError) as exc:
        _fill(world, rf_request, units_contaminated=119)
    assert exc.value.where == "units_contaminated"
    with pytest.raises(InputError) as exc:
        _fill(world, rf_request, operators={})
    assert exc.value.where == "operators"
    with pytest.raises(RuleViolation, match="password"):
        _fill(world, rf_request, password="wrong")
    both = make_user("opqa", "operator", "qa_reviewer")
    with pytest.raises(RuleViolation, match="may not sign"):
        _fill(world, rf_request, actor=both, password=both.raw_password, operators={both: "pass"})
    with pytest.raises(PermissionDenied):
        _fill(world, rf_request, actor=world.operator, password=world.operator.raw_password)
    assert not m.MediaFill.objects.exists()
