"""CAPA: actions with owners, the effectiveness check not before its planned day, closure with a
signature refused while anything is missing; and the deviation closure that a CAPA unlocks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.audit.models import AuditEvent, Signature
from evqms.capa import services
from evqms.capa.models import Capa
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.lots import services as lot_services
from evqms.lots.selectors.release import release_gate

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


def _deviation(world, *lots, description="room pressure lost"):
    return lot_services.open_deviation(actor=world.qa, lots=list(lots), description=description)


def test_a_capa_needs_a_title_a_kind_and_what_it_answers(world):
    with pytest.raises(PermissionDenied):
        services.create_capa(actor=world.operator, title="x", kind="corrective", source_reference="AUD-1")
    for kw, field in (
        ({"title": " ", "kind": "corrective", "source_reference": "AUD-1"}, "title"),
        ({"title": "x", "kind": "curative", "source_reference": "AUD-1"}, "kind"),
        ({"title": "x", "kind": "corrective"}, "source_reference"),
        ({"title": "x", "kind": "corrective", "source_reference": "A", "effectiveness_after_days": -1}, None),
    ):
        with pytest.raises(InputError) as refused:
            services.create_capa(actor=world.qa, **kw)
        assert field is None or refused.value.where == field
    assert not Capa.objects.exists()
    first = services.create_capa(
        actor=world.qa, title="x", kind="preventive", source_reference="complaint C-7"
    )
    second = services.create_capa(
        actor=world.qa, title="y", kind="corrective", deviations=[_deviation(world)]
    )
    assert (first.number, second.number) == ("CAPA-00001", "CAPA-00002")
    assert AuditEvent.objects.filter(action="capa.create").count() == 2


def test_the_effectiveness_check_falls_due_after_the_last_action_plus_the_interval(world, rf_request):
    capa = services.create_capa(
        actor=world.qa, title="x", kind="corrective", source_reference="AUD-1", effectiveness_after_days=30
    )
    a1 = services.add_action(
        actor=world.qa, capa=capa, description="a", owner=world.operator, due_on=_today()
    )
    a2 = services.add_action(actor=world.qa, capa=capa, description="b", owner=world.analyst, due_on=_today())
    assert capa.effectiveness_due_on() is None  # actions still open
    with pytest.raises(PermissionDenied):  # not the owner, not QA
        services.complete_action(actor=world.analyst, action=a1, evidence="done")
    with pytest.raises(InputError) as future:
        services.complete_action(
            actor=world.operator, action=a1, evidence="done", done_on=_today() + dt.timedelta(days=1)
        )
    assert future.value.where == "done_on"
    services.complete_action(
        actor=world.operator, action=a1, evidence="SOP v2", done_on=_today() - dt.timedelta(days=40)
    )
    with pytest.raises(RuleViolation, match="every action"):
        services.record_effectiveness(actor=world.qa, capa=capa, result="effective", evidence="ok")
    # the last action done 20 days ago: due in 10 days (20 + 10 = the 30-day interval)
    services.complete_action(
        actor=world.analyst, action=a2, evidence="trained", done_on=_today() - dt.timedelta(days=20)
    )
    assert capa.effectiveness_due_on() == _today() + dt.timedelta(days=10)
    with pytest.raises(RuleViolation, match="planned for"):
        services.record_effectiveness(actor=world.qa, capa=capa, result="effective", evidence="ok")
    with pytest.raises(RuleViolation, match="effectiveness check"):
        services.close_capa(request=rf_request, actor=world.qa, capa=capa, password=world.qa.raw_password)
    capa.actions.filter(pk=a2.pk).update(done_on=_today() - dt.timedelta(days=30))  # exactly due today
    services.record_effectiveness(actor=world.qa, capa=capa, result="effective", evidence="no recurrence")
    closed = services.close_capa(
        request=rf_request, actor=world.qa, capa=capa, password=world.qa.raw_password, reason="effective"
    )
    assert closed.status == "closed" and closed.close_signature.meaning == "approval"
    with pytest.raises(RuleViolation):
        services.add_action(
            actor=world.qa, capa=closed, description="c", owner=world.operator, due_on=_today()
        )


def test_not_effective_keeps_the_capa_open_until_new_actions_are_checked(world, rf_request):
    capa = services.create_capa(
        actor=world.qa, title="x", kind="corrective", source_reference="AUD-1", effectiveness_after_days=0
    )
    a = services.add_action(actor=world.qa, capa=capa, description="a", owner=world.operator, due_on=_today())
    services.complete_action(actor=world.qa, action=a, evidence="done")
    services.record_effectiveness(actor=world.qa, capa=capa, result="not_effective", evidence="recurred")
    with pytest.raises(RuleViolation, match="not effective"):
        services.close_capa(request=rf_request, actor=world.qa, capa=capa, password=world.qa.raw_password)
    services.add_action(actor=world.qa, capa=capa, description="b", owner=world.operator, due_on=_today())
    capa.refresh_from_db()
    assert capa.effectiveness_result == ""  # a new check falls due after the new action
    with pytest.raises(RuleViolation, match="still open"):
        services.close_capa(request=rf_request, actor=world.qa, capa=capa, password=world.qa.raw_password)


def test_a_wrong_password_closes_nothing(world, rf_request):
    from evqms.audit.services import SignatureRefused

    capa = services.create_capa(
        actor=world.qa, title="x", kind="corrective", source_reference="AUD-1", effectiveness_after_days=0
    )
    a = services.add_action(actor=world.qa, capa=capa, description="a", owner=world.operator, due_on=_today())
    services.complete_action(actor=world.qa, action=a, evidence="done")
    services.record_effectiveness(actor=world.qa, capa=capa, result="effective", evidence="ok")
    with pytest.raises(SignatureRefused):
        services.close_capa(request=rf_request, actor=world.qa, capa=capa, password="wrong")
    capa.refresh_from_db()
    assert capa.status == "open" and not Signature.objects.filter(object_type="capa").exists()


def test_a_major_deviation_closes_only_with_investigation_impact_and_capa(world, rf_request):
    one = world.quarantined_lot("UCEV-C-001")
    two = world.quarantined_lot("UCEV-C-002")
    dev = _deviation(world, one, two)
    lot_services.classify_deviation(actor=world.qa, deviation=dev, classification="major", reason="two lots")
    gate = release_gate(one)
    assert [p.code for p in gate] == ["open_deviation"]
    assert gate[0].message["en"] == f"Major deviation {dev.number} is open"
    assert gate[0].message["ja"] == f"分類「中程度」の逸脱 {dev.number} が未終了です"

    def close():
        lot_services.close_deviation(
            request=rf_request,
            actor=world.qa,
            deviation=dev,
            password=world.qa.raw_password,
            resolution="done",
        )

    with pytest.raises(RuleViolation) as refused:
        close()
    message = str(refused.value)
    assert "investigation" in message and "UCEV-C-001, UCEV-C-002" in message and "CAPA" in message
    lot_services.record_investigation(
        actor=world.operator, deviation=dev, root_cause_category="machine", investigation="HVAC fan failed"
    )
    with pytest.raises(InputError):  # a lot the deviation does not name
        lot_services.assess_impact(
            actor=world.qa,
            deviation=dev,
            lot=world.quarantined_lot("UCEV-C-003"),
            assessment="no_impact",
            reasoning="x",
        )
    lot_services.assess_impact(
        actor=world.qa, deviation=dev, lot=one, assessment="no_impact", reasoning="sealed"
    )
    with pytest.raises(RuleViolation, match="UCEV-C-002"):
        close()
    lot_services.assess_impact(
        actor=world.qa, deviation=dev, lot=two, assessment="further_testing", reasoning="open during the loss"
    )
    with pytest.raises(RuleViolation, match="CAPA"):
        close()
    services.create_capa(actor=world.qa, title="HVAC alarms", kind="corrective", deviations=[dev])
    close()
    dev.refresh_from_db()
    assert dev.status == "closed" and dev.close_signature.meaning == "approval"
    assert release_gate(one) == []
    assert sorted(i["lot"] for i in __import__("json").loads(dev.close_signature.record)["impacts"]) == [
        "UCEV-C-001",
        "UCEV-C-002",
    ]


def test_a_minor_deviation_needs_no_capa(world, rf_request):
    lot = world.quarantined_lot("UCEV-C-004")
    dev = _deviation(world, lot, description="label smudged")
    assert dev.classification == "minor"
    lot_services.record_investigation(
        actor=world.qa, deviation=dev, root_cause_category="personnel", investigation="relabelled"
    )
    lot_services.assess_impact(
        actor=world.qa, deviation=dev, lot=lot, assessment="no_impact", reasoning="label only"
    )
    with pytest.raises(PermissionDenied):
        lot_services.close_deviation(
            request=rf_request, actor=world.operator, deviation=dev, password=world.operator.raw_password
        )
    lot_services.close_deviation(
        request=rf_request, actor=world.qa, deviation=dev, password=world.qa.raw_password
    )
    assert release_gate(lot) == []
    with pytest.raises(RuleViolation, match="closed"):
        lot_services.classify_deviation(actor=world.qa, deviation=dev, classification="major", reason="late")


def test_classification_is_qa_s_with_a_reason(world):
    dev = _deviation(world)
    with pytest.raises(PermissionDenied):
        lot_services.classify_deviation(
            actor=world.operator, deviation=dev, classification="major", reason="x"
        )
    with pytest.raises(InputError) as refused:
        lot_services.classify_deviation(actor=world.qa, deviation=dev, classification="major", reason=" ")
    assert refused.value.where == "reason"
    with pytest.raises(InputError) as refused:
        lot_services.classify_deviation(actor=world.qa, deviation=dev, classification="", reason="x")
    assert refused.value.where == "classification"
    lot_services.classify_deviation(
        actor=world.qa, deviation=dev, classification="critical", reason="grade A"
    )
    dev.refresh_from_db()
    assert (dev.classification, dev.classification_rule, dev.classified_by) == (
        "critical",
        "default",
        world.qa,
    )
    event = AuditEvent.objects.filter(action="deviation.classify").get()
    assert event.reason == "grade A" and '"classification":"minor"' in event.before.replace(" ", "")
