"""The risk register: starter hazards, scores and their validation, approval with a signature."""

from __future__ import annotations

import pytest

from evqms.audit.models import AuditEvent, Signature
from evqms.compliance import services
from evqms.compliance.models import RiskRegister
from evqms.errors import InputError, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db


def test_starter_hazards_fill_every_stage(world):
    register = services.create_register(actor=world.qa, product=world.product, with_starter_hazards=True)
    from evqms.guidance import risk

    assert register.items.count() == len(risk.STARTER_HAZARDS) == 20
    assert set(register.items.values_list("stage", flat=True)) == set(risk.STAGES)
    item = register.items.get(hazard="Endotoxin")
    assert (item.severity, item.occurrence, item.detectability, item.rpn, item.risk_class) == (
        3,
        3,
        3,
        27,
        "medium",
    )
    # Adding them again adds nothing (same hazards).
    assert services.add_starter_hazards(actor=world.qa, register=register) == []
    assert AuditEvent.objects.filter(action="risk_register.create").count() == 1


def test_scoring_and_validation(world):
    register = services.create_register(actor=world.qa, product=world.product)
    item = services.add_risk_item(
        actor=world.qa,
        register=register,
        stage="culture",
        hazard="Mycoplasma",
        severity=5,
        occurrence=3,
        detectability=1,
    )
    assert (item.rpn, item.risk_class, item.code) == (15, "high", "R-1")  # severity 5 x occurrence 3: high
    item = services.update_risk_item(actor=world.qa, item=item, occurrence=2, detectability=4)
    assert (item.rpn, item.risk_class) == (40, "medium")
    with pytest.raises(InputError) as exc:
        services.add_risk_item(
            actor=world.qa,
            register=register,
            stage="culture",
            hazard="x",
            severity=6,
            occurrence=1,
            detectability=1,
        )
    assert exc.value.where == "severity"
    with pytest.raises(InputError):
        services.add_risk_item(
            actor=world.qa,
            register=register,
            stage="moon",
            hazard="x",
            severity=1,
            occurrence=1,
            detectability=1,
        )
    with pytest.raises(PermissionDenied):
        services.add_risk_item(
            actor=world.operator,
            register=register,
            stage="culture",
            hazard="x",
            severity=1,
            occurrence=1,
            detectability=1,
        )


def test_approval_needs_role_and_password_and_freezes_the_version(world):
    register = world.register(approve=False)
    with pytest.raises(PermissionDenied):
        services.approve_register(
            request=world.request,
            actor=world.operator,
            register=register,
            password=world.operator.raw_password,
        )
    with pytest.raises(RuleViolation):
        services.approve_register(request=world.request, actor=world.qa, register=register, password="wrong")
    assert RiskRegister.objects.get(pk=register.pk).status == "draft"
    assert not Signature.objects.filter(object_type="risk_register").exists()
    register = services.approve_register(
        request=world.request, actor=world.qa, register=register, password=world.qa.raw_password
    )
    assert register.status == "approved" and register.approval_signature.meaning == "approval"
    with pytest.raises(RuleViolation):
        services.add_risk_item(
            actor=world.qa,
            register=register,
            stage="culture",
            hazard="x",
            severity=1,
            occurrence=1,
            detectability=1,
        )
    # A change is a new version: a copy of the items, draft until approved; then v1 is superseded.
    v2 = services.create_register(actor=world.qa, product=world.product)
    assert (v2.version, v2.status, v2.items.count()) == (2, "draft", register.items.count())
    endotoxin = v2.items.get(hazard="Endotoxin")
    assert [a.code for a in endotoxin.control_attributes.all()] == ["endotoxin"]
    services.approve_register(
        request=world.request, actor=world.physician, register=v2, password=world.physician.raw_password
    )
    assert RiskRegister.objects.get(pk=register.pk).status == "superseded"
