"""The register, calibrations and maintenance: due dates from the intervals, the certificate kept
with its hash, a failed calibration out of service, QA alone returning it, the audit events."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from evqms.audit.models import AuditEvent
from evqms.equipment import services, status
from evqms.equipment.models import Instrument
from evqms.errors import EditConflict, InputError, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db


def ago(n):
    return timezone.localdate() - dt.timedelta(days=n)


def test_room_code_follows_the_identifier_rule_and_is_unique_ignoring_case(qa, room):
    with pytest.raises(InputError) as exc:
        services.create_room(actor=qa, code="cr-b01", name="Again", grade="C")
    assert exc.value.where == "code" and "CR-B01" in exc.value.message
    with pytest.raises(InputError) as exc:
        services.create_room(actor=qa, code="room 2", name="Bad", grade="C")
    assert exc.value.where == "code"
    with pytest.raises(InputError) as exc:
        services.create_room(actor=qa, code="CR-X", name="Bad grade", grade="E")
    assert exc.value.where == "grade"


def test_only_qa_keeps_the_register(analyst, room):
    with pytest.raises(PermissionDenied):
        services.register_instrument(actor=analyst, identifier="PR-01", kind="plate_reader", name="Reader")


def test_full_width_identifier_is_folded(qa):
    instrument = services.register_instrument(
        actor=qa, identifier="ＮＴＡ－０２", kind="nta", name="ZetaView"
    )
    assert instrument.identifier == "NTA-02"


def test_passing_calibration_sets_the_next_due_date_from_the_interval(analyst, nta):
    performed = ago(10)
    record = services.record_calibration(
        actor=analyst,
        instrument=nta,
        performed_on=performed,
        performed_by="Vendor engineer",
        result="pass",
        certificate=("cert NTA-01.pdf", b"%PDF-1.4 calibration certificate"),
    )
    nta.refresh_from_db()
    # 180 days after the day performed (hand-computed: performed + 180 d)
    assert record.next_due == performed + dt.timedelta(days=180)
    assert nta.calibration_due == performed + dt.timedelta(days=180)
    assert record.certificate_sha256 == hashlib.sha256(b"%PDF-1.4 calibration certificate").hexdigest()
    assert record.certificate_name == "cert NTA-01.pdf"
    assert record.certificate.read() == b"%PDF-1.4 calibration certificate"
    assert status.state(nta, timezone.localdate()) == status.IN_SERVICE
    actions = list(
        AuditEvent.objects.filter(object_type="instrument", object_id=str(nta.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["instrument.register", "instrument.calibration", "instrument.update"]


def test_failed_calibration_takes_the_instrument_out_of_service_until_a_pass_and_qa(qa, analyst, nta):
    services.record_calibration(
        actor=analyst, instrument=nta, performed_on=ago(3), performed_by="Vendor", result="fail"
    )
    nta.refresh_from_db()
    assert nta.service_state == "out_of_service"
    assert ago(3).isoformat() in nta.service_reason
    with pytest.raises(RuleViolation, match="failed its calibration"):
        services.return_to_service(actor=qa, instrument=nta, reason="fixed")
    services.record_calibration(
        actor=analyst, instrument=nta, performed_on=ago(1), performed_by="Vendor", result="pass"
    )
    with pytest.raises(PermissionDenied):
        services.return_to_service(actor=analyst, instrument=nta, reason="calibrated")
    services.return_to_service(actor=qa, instrument=nta, reason="calibrated again")
    nta.refresh_from_db()
    assert nta.service_state == "in_service" and nta.calibration_due == ago(1) + dt.timedelta(days=180)


def test_a_calibration_cannot_be_dated_before_the_last_one_nor_in_the_future(analyst, nta):
    services.record_calibration(
        actor=analyst, instrument=nta, performed_on=ago(5), performed_by="V", result="pass"
    )
    with pytest.raises(InputError) as exc:
        services.record_calibration(
            actor=analyst, instrument=nta, performed_on=ago(6), performed_by="V", result="pass"
        )
    assert exc.value.where == "performed_on"
    with pytest.raises(InputError) as exc:
        services.record_calibration(
            actor=analyst, instrument=nta, performed_on=ago(-2), performed_by="V", result="pass"
        )
    assert exc.value.where == "performed_on"


def test_refused_calibration_leaves_no_certificate_file(analyst, nta, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(InputError):
        services.record_calibration(
            actor=analyst,
            instrument=nta,
            performed_on=ago(1),
            performed_by="",
            result="pass",
            certificate=("c.pdf", b"x"),
        )
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_maintenance_sets_its_due_date_and_late_entry_does_not_move_it_back(analyst, nta):
    services.record_maintenance(
        actor=analyst,
        instrument=nta,
        performed_on=ago(20),
        performed_by="Me",
        kind="preventive",
        description="Flow cell cleaned",
    )
    services.record_maintenance(
        actor=analyst,
        instrument=nta,
        performed_on=ago(40),
        performed_by="Me",
        kind="corrective",
        description="Late entry",
    )
    nta.refresh_from_db()
    assert nta.maintenance_due == ago(20) + dt.timedelta(days=365)


def test_changing_the_overdue_policy_needs_a_reason_and_qa(qa, analyst, nta):
    with pytest.raises(InputError) as exc:
        services.update_instrument(actor=qa, instrument=nta, overdue_policy="deviation")
    assert exc.value.where == "reason"
    nta.refresh_from_db()
    assert nta.overdue_policy == "refuse"  # nothing half-written
    with pytest.raises(PermissionDenied):
        services.update_instrument(actor=analyst, instrument=nta, overdue_policy="deviation", reason="x")
    services.update_instrument(actor=qa, instrument=nta, overdue_policy="deviation", reason="QA decision 12")
    event = AuditEvent.objects.filter(action="instrument.update").last()
    assert event.reason == "QA decision 12"


def test_changing_the_interval_moves_the_due_date_from_the_last_pass(qa, analyst, nta):
    services.record_calibration(
        actor=analyst, instrument=nta, performed_on=ago(10), performed_by="V", result="pass"
    )
    services.update_instrument(actor=qa, instrument=nta, calibration_interval_days=30)
    nta.refresh_from_db()
    assert nta.calibration_due == ago(10) + dt.timedelta(days=30)


def test_stale_edit_is_refused(qa, nta):
    from evqms.core.concurrency import fingerprint
    from evqms.equipment.records import instrument_record

    seen = fingerprint(instrument_record(nta))
    services.update_instrument(actor=qa, instrument=nta, name="Renamed")
    with pytest.raises(EditConflict):
        services.update_instrument(actor=qa, instrument=nta, name="Mine", seen=seen)


def test_storage_unit_needs_its_range_in_order(qa):
    with pytest.raises(InputError) as exc:
        services.register_instrument(
            actor=qa, identifier="FRZ-01", kind="freezer", name="-80", is_storage_unit=True
        )
    assert exc.value.where == "min_temperature_c"
    with pytest.raises(InputError) as exc:
        services.register_instrument(
            actor=qa,
            identifier="FRZ-01",
            kind="freezer",
            name="-80",
            is_storage_unit=True,
            min_temperature_c="-60",
            max_temperature_c="-90",
        )
    assert exc.value.where == "max_temperature_c"
    unit = services.register_instrument(
        actor=qa, identifier="FRZ-01", kind="freezer", name="-80", is_storage_unit=True,
        min_temperature_c="-90", max_temperature_c="-60",
    )  # fmt: skip
    assert str(unit.min_temperature_c) == "-90.0"


def test_out_of_service_by_a_user_and_back_by_qa(qa, analyst, nta):
    services.take_out_of_service(actor=analyst, instrument=nta, reason="laser fault")
    with pytest.raises(RuleViolation):
        services.take_out_of_service(actor=analyst, instrument=nta, reason="again")
    assert status.state(Instrument.objects.get(pk=nta.pk), timezone.localdate()) == status.OUT_OF_SERVICE
    services.return_to_service(actor=qa, instrument=nta, reason="laser replaced")
    assert Instrument.objects.get(pk=nta.pk).service_state == "in_service"
