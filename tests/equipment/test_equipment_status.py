"""Whether an instrument may be used on the day of use, from its calibration history."""

import datetime as dt

import pytest
from django.utils import timezone

from evqms.equipment import services, status
from evqms.equipment.status import InstrumentRefused, calibration_lapse, check_use

pytestmark = pytest.mark.django_db


def ago(n):
    return timezone.localdate() - dt.timedelta(days=n)


def test_never_calibrated_instrument_with_an_interval_is_overdue(nta):
    lapse = calibration_lapse(nta, timezone.localdate())
    assert lapse is not None and lapse.due is None
    assert status.state(nta, timezone.localdate()) == status.CALIBRATION_OVERDUE
    with pytest.raises(InstrumentRefused, match="NTA-01 has no calibration on record"):
        check_use([nta], used_at=timezone.now())


def test_instrument_without_interval_needs_no_calibration(qa):
    cabinet = services.register_instrument(
        actor=qa, identifier="BSC-01", kind="biosafety_cabinet", name="BSC"
    )
    assert check_use([cabinet], used_at=timezone.now()) == []


def test_judged_on_the_day_of_use_from_the_history(analyst, nta):
    # calibrated 200 days ago with a 180-day interval: due 20 days ago (hand-computed)
    services.record_calibration(
        actor=analyst, instrument=nta, performed_on=ago(200), performed_by="V", result="pass"
    )
    due = ago(20)
    assert calibration_lapse(nta, ago(21)) is None  # used the day before it fell due
    assert calibration_lapse(nta, due) is None  # the due date itself is still in calibration
    lapse = calibration_lapse(nta, ago(19))
    assert lapse is not None and lapse.due == due
    with pytest.raises(InstrumentRefused) as exc:
        check_use([nta], used_at=timezone.now())
    assert (
        str(exc.value)
        == f"instrument NTA-01 is past its calibration due date {due.isoformat()}: it cannot be used"
    )
    # calibrated again 5 days ago: today is fine, a day 10 days ago (in the gap) is still refused
    services.record_calibration(
        actor=analyst, instrument=nta, performed_on=ago(5), performed_by="V", result="pass"
    )
    assert check_use([nta], used_at=timezone.now()) == []
    with pytest.raises(InstrumentRefused):
        check_use([nta], used_at=timezone.now() - dt.timedelta(days=10))


def test_deviation_policy_returns_the_lapse_instead_of_refusing(qa, analyst, nta):
    services.update_instrument(actor=qa, instrument=nta, overdue_policy="deviation", reason="QA rule")
    nta.refresh_from_db()
    lapses = check_use([nta], used_at=timezone.now())
    assert [lapse.instrument.identifier for lapse in lapses] == ["NTA-01"]


def test_out_of_service_is_refused_whatever_the_policy(qa, analyst, nta):
    services.update_instrument(actor=qa, instrument=nta, overdue_policy="deviation", reason="QA rule")
    services.take_out_of_service(actor=analyst, instrument=nta, reason="laser fault")
    nta.refresh_from_db()
    with pytest.raises(InstrumentRefused, match=r"NTA-01 is out of service \(laser fault\)"):
        check_use([nta], used_at=timezone.now())


def test_inactive_room_is_refused(qa, room):
    services.update_room(actor=qa, room=room, name=room.name, grade=room.grade, active=False)
    room.refresh_from_db()
    with pytest.raises(InstrumentRefused) as exc:
        check_use([], used_at=timezone.now(), room=room)
    assert exc.value.where == "room"


def test_registered_due_date_counts_until_the_first_record(qa):
    reader = services.register_instrument(
        actor=qa, identifier="PR-01", kind="plate_reader", name="Reader",
        calibration_interval_days=365, calibration_due=ago(2),
    )  # fmt: skip
    lapse = calibration_lapse(reader, timezone.localdate())
    assert lapse is not None and lapse.due == ago(2)
    assert calibration_lapse(reader, ago(2)) is None
