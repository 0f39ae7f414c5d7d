"""Sterility, endotoxin and mycoplasma tests: run controls checked at entry (a failed control makes
an invalid run), method suitability records approved by QA, and the release gate that asks for both.

The recovery limits are the pharmacopoeias' (Ph. Eur. 2.6.14 / JP 4.01 / USP <85>): a positive
product control recovering 50-200 % of its spike is valid, so 49 % and 201 % are invalid and 50 %
and 200 % valid, the bounds included."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from lots_services_helpers import qc_lot, record

from evqms.audit.models import AuditEvent, Signature
from evqms.audit.services import SignatureRefused
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.lots import selectors, services
from evqms.lots.models import Lot, MethodSuitability
from evqms.lots.services import microbiology
from evqms.testing import factories as f

pytestmark = pytest.mark.django_db

OK = {"positive_control": "detected", "negative_control": "not detected"}


def endotoxin_controls(recovery):
    return {"positive_recovery": recovery, "negative_control": "not detected"}


@pytest.mark.parametrize(
    ("recovery", "valid"), [("49", False), ("49.99", False), ("50", True), ("200", True), ("201", False)]
)
def test_endotoxin_positive_product_control_recovery_bounds(world, recovery, valid):
    lot = qc_lot(world)
    result = record(world, lot, "endotoxin", "0.10", "EU/mL", controls=endotoxin_controls(recovery))
    assert result.status == ("valid" if valid else "invalid_run")
    assert result.run_controls.valid is valid
    if not valid:
        assert f"recovered {recovery} %, outside 50-200 %" in result.invalidation_reason


@pytest.mark.parametrize(
    ("controls", "reason"),
    [
        (
            {"positive_control": "not detected", "negative_control": "not detected"},
            "positive control was not detected",
        ),
        ({"positive_control": "detected", "negative_control": "detected"}, "negative control was detected"),
    ],
)
def test_failed_sterility_control_makes_an_invalid_run_that_is_kept(world, controls, reason):
    lot = qc_lot(world)
    result = record(world, lot, "sterility", text="no growth", controls=controls)
    result.refresh_from_db()
    assert result.status == "invalid_run" and reason in result.invalidation_reason
    event = AuditEvent.objects.get(action="qc_result.record", object_id=str(result.pk))
    assert json.loads(event.after)["run_controls"]["valid"] is False
    # the attribute has no valid result: a retest is taken, and counts
    retest = record(world, lot, "sterility", text="no growth", controls=OK, retest_of=result)
    assert retest.status == "valid"
    current = {e["attribute"].code: e["result"] for e in selectors.current_results(lot)}
    assert current["sterility"].pk == retest.pk


@pytest.mark.parametrize(
    ("code", "controls", "missing"),
    [
        ("sterility", {"negative_control": "not detected"}, "positive_control"),
        ("sterility", {"positive_control": "detected"}, "negative_control"),
        ("sterility", None, "positive_control"),
        (
            "endotoxin",
            {"positive_control": "detected", "negative_control": "not detected"},
            "positive_recovery",
        ),
        ("endotoxin", {"positive_recovery": "90"}, "negative_control"),
    ],
)
def test_missing_controls_are_refused_naming_the_field(world, code, controls, missing):
    lot = qc_lot(world)
    value, unit, text = world.PASSING[code]
    with pytest.raises(InputError) as caught:
        record(world, lot, code, value, unit, text, controls=controls)
    assert caught.value.where == missing
    assert not lot.qc_results.exists()


def test_unreadable_controls_are_refused(world):
    lot = qc_lot(world)
    with pytest.raises(InputError) as caught:
        record(
            world,
            lot,
            "sterility",
            text="no growth",
            controls={"positive_control": "maybe", "negative_control": "no"},
        )
    assert caught.value.where == "positive_control"
    with pytest.raises(InputError) as caught:
        record(world, lot, "endotoxin", "0.1", "EU/mL", controls=endotoxin_controls("lots"))
    assert caught.value.where == "positive_recovery"


def test_other_attributes_take_no_controls(world):
    lot = qc_lot(world)
    result = record(world, lot, "cd63", text="positive", controls=None)
    assert result.status == "valid"
    assert not hasattr(result, "run_controls") or microbiology.controls_event(result) == {}


def _gate(lot):
    return {(p.code, p.subject): p for p in selectors.release_gate(Lot.objects.get(pk=lot.pk))}


def test_gate_names_an_invalid_run(world):
    lot = qc_lot(world)
    world.test_all(lot, skip=("sterility",))
    bad = record(
        world, lot, "sterility", text="no growth", controls={**OK, "positive_control": "not detected"}
    )
    assert bad.status == "invalid_run"
    problems = _gate(lot)
    message = problems[("invalid_run", "sterility")].message
    assert message["en"] == "sterility: the run is invalid (the positive control was not detected): retest it"
    assert message["ja"] != message["en"]
    assert ("missing_result", "sterility") in problems


def test_gate_refuses_without_an_approved_suitable_method(world):
    lot = world.quarantined_lot()
    MethodSuitability.objects.filter(test_type="endotoxin").update(status="pending")
    problems = _gate(lot)
    message = problems[("no_method_suitability", "endotoxin")].message["en"]
    assert "product ucmsc-sev-oa" in message and "method LAL kinetic" in message
    # a later record that finds the method not suitable is the one in force
    f.method_suitability(world.product, "endotoxin", "LAL kinetic")
    assert _gate(lot) == {}
    later = f.method_suitability(world.product, "endotoxin", "lal  KINETIC", outcome="not_suitable")
    later.performed_on = timezone.localdate()
    later.save()
    assert ("method_not_suitable", "endotoxin") in _gate(lot)


def test_release_is_refused_naming_the_attribute(world, rf_request):
    lot = world.quarantined_lot()
    MethodSuitability.objects.filter(test_type="sterility").update(status="pending")
    with pytest.raises(services.ReleaseBlocked) as caught:
        services.release_lot(request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password)
    assert "sterility: no approved method suitability record for product ucmsc-sev-oa" in str(caught.value)


def test_a_result_without_controls_cannot_support_release(world):
    """A result recorded before run controls existed (no controls row) does not count."""
    lot = world.quarantined_lot()
    lot.qc_results.get(attribute__code="sterility").run_controls.delete()
    assert ("no_run_controls", "sterility") in _gate(lot)


def _suitability(world, **kw):
    args = dict(
        actor=world.analyst,
        product=world.product,
        test_type="endotoxin",
        method="LAL kinetic (new kit)",
        performed_on=timezone.localdate() - dt.timedelta(days=1),
        outcome="suitable",
        spike_recovery="120",
        report=("ifr.txt", b"test for interfering factors"),
    )
    args.update(kw)
    return microbiology.record_method_suitability(**args)


@pytest.mark.parametrize("recovery", ["49", "201"])
def test_suitability_recovery_outside_50_to_200_is_not_suitable(world, recovery):
    with pytest.raises(InputError) as caught:
        _suitability(world, spike_recovery=recovery)
    assert caught.value.where == "spike_recovery"
    assert _suitability(world, spike_recovery=recovery, outcome="not_suitable").outcome == "not_suitable"


@pytest.mark.parametrize("recovery", ["50", "200"])
def test_suitability_recovery_bounds_are_suitable(world, recovery):
    assert _suitability(world, spike_recovery=recovery).outcome == "suitable"


def test_suitability_needs_the_endotoxin_recovery_and_a_qc_analyst(world):
    with pytest.raises(InputError) as caught:
        _suitability(world, spike_recovery="")
    assert caught.value.where == "spike_recovery"
    with pytest.raises(PermissionDenied):
        _suitability(world, actor=world.operator)


def test_suitability_approved_by_qa_with_a_signature(world, rf_request):
    record = _suitability(world)
    assert record.status == "pending" and len(record.report_sha256) == 64
    with pytest.raises(PermissionDenied):
        microbiology.approve_method_suitability(
            request=rf_request, actor=world.analyst2, record=record, password=world.analyst2.raw_password
        )
    with pytest.raises(SignatureRefused):
        microbiology.approve_method_suitability(
            request=rf_request, actor=world.qa, record=record, password="wrong"
        )
    approved = microbiology.approve_method_suitability(
        request=rf_request, actor=world.qa, record=record, password=world.qa.raw_password
    )
    assert approved.status == "approved" and approved.approved_by == world.qa
    signature = Signature.objects.get(object_type="method_suitability", object_id=str(record.pk))
    assert signature.meaning == "approval"
    with pytest.raises(RuleViolation):
        microbiology.approve_method_suitability(
            request=rf_request, actor=world.qa2, record=record, password=world.qa2.raw_password
        )
    actions = list(
        AuditEvent.objects.filter(object_type="method_suitability", object_id=str(record.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["method_suitability.record", "signature.approval", "method_suitability.approve"]


def test_no_one_approves_a_suitability_test_they_performed(world, rf_request, make_user):
    both = make_user("qcqa", "qc_analyst", "qa_reviewer")
    record = _suitability(world, actor=both)
    with pytest.raises(SignatureRefused):
        microbiology.approve_method_suitability(
            request=rf_request, actor=both, record=record, password=both.raw_password
        )
    assert MethodSuitability.objects.get(pk=record.pk).status == "pending"


def test_the_result_names_the_suitability_in_force(world):
    lot = qc_lot(world)
    result = record(world, lot, "endotoxin", "0.1", "EU/mL")
    assert result.run_controls.suitability.method == "LAL kinetic"
