"""Every transition leaves its audit event (with before/after), in the same transaction."""

import json
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from evqms.audit.models import AuditEvent
from evqms.audit.selectors import verify_chain
from evqms.lots import services
from evqms.testing.deviations import settle_deviation
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db


def lot_events(lot):
    return [
        (e.action, json.loads(e.before or "null"), json.loads(e.after or "null"), e.reason)
        for e in AuditEvent.objects.filter(object_type="lot", object_id=str(lot.pk)).order_by("seq")
    ]


def test_lot_status_transitions_are_audited_with_before_and_after(world, rf_request):
    lot = world.quarantined_lot()
    lot = services.release_lot(
        request=rf_request,
        actor=world.qa,
        lot=lot,
        password=world.qa.raw_password,
        reason="batch record reviewed",
    )
    transitions = [
        (a, (b or {}).get("status"), (af or {}).get("status"), r)
        for a, b, af, r in lot_events(lot)
        if a in ("lot.create", "lot.submit_to_qc", "lot.complete_qc", "lot.release")
    ]
    assert transitions == [
        ("lot.create", None, "in_process", ""),
        ("lot.submit_to_qc", "in_process", "qc", ""),
        ("lot.complete_qc", "qc", "quarantine", ""),
        ("lot.release", "quarantine", "released", "batch record reviewed"),
    ]
    actions = [a for a, *_ in lot_events(lot)]
    assert actions.count("lot.step") == world.process.steps.count() and "signature.release" in actions
    assert verify_chain().ok


def test_result_and_deviation_events(world, rf_request):
    lot = world.manufacture(world.new_lot())
    upload = SimpleUploadedFile("lal.csv", b"well,EU/mL\nA1,0.8\n", content_type="text/csv")
    r = services.record_qc_result(
        actor=world.analyst,
        lot=lot,
        attribute=world.attr("endotoxin"),
        value=D("0.8"),
        unit="EU/mL",
        tested_at=timezone.now(),
        raw_file=upload,
        controls=passing_controls(world.attr("endotoxin")),
    )
    services.invalidate_qc_result(actor=world.analyst2, result=r, reason="reagent blank contaminated")
    dev = lot.deviations.get()
    settle_deviation(dev, world.qa, resolution="invalid OOS, lab error")
    services.reject_lot(
        request=rf_request,
        actor=world.qa,
        lot=lot,
        password=world.qa.raw_password,
        reason="sterility failure",
    )
    events = {(e.action, e.object_type) for e in AuditEvent.objects.all()}
    assert {
        ("qc_result.record", "qc_result"),
        ("qc_result.invalidate", "qc_result"),
        ("deviation.open", "deviation"),
        ("deviation.close", "deviation"),
        ("signature.rejection", "lot"),
        ("lot.reject", "lot"),
    } <= events
    record = AuditEvent.objects.get(action="qc_result.record")
    after = json.loads(record.after)
    assert (
        after["verdict"] == "fail"
        and after["raw_file_sha256"] == r.raw_file_sha256
        and "above" in record.reason
    )
    inv = AuditEvent.objects.get(action="qc_result.invalidate")
    assert json.loads(inv.before)["status"] == "valid" and json.loads(inv.after)["status"] == "invalidated"
    assert inv.reason == "reagent blank contaminated"


def test_a_refused_action_leaves_no_event(world):
    lot = world.new_lot()
    before = AuditEvent.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - any refusal
        services.submit_to_qc(actor=world.operator, lot=lot)
    assert AuditEvent.objects.count() == before
