"""Step records and QC results name their room and instruments: an instrument out of service or
past its calibration on the day of use is refused naming it and its due date, unless QA's policy
for it is to record with a deviation (source "equipment")."""

import datetime as dt

import pytest
from django.utils import timezone

from evqms.equipment import services as equipment
from evqms.equipment.status import InstrumentRefused
from evqms.lots import services
from evqms.lots.models import Deviation, QCResult, StepRecord
from evqms.lots.qc_import import import_qc_results
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db


def ago(n):
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def room(world):
    return equipment.create_room(actor=world.qa, code="CR-B01", name="Cleanroom 1", grade="B")


@pytest.fixture
def nta(world, room):
    """Calibrated 200 days ago every 180 days: due 20 days ago (hand-computed)."""
    instrument = equipment.register_instrument(
        actor=world.qa, identifier="NTA-01", kind="nta", name="NanoSight", room=room,
        owner=world.analyst, calibration_interval_days=180,
    )  # fmt: skip
    equipment.record_calibration(
        actor=world.analyst,
        instrument=instrument,
        performed_on=ago(200),
        performed_by="Vendor",
        result="pass",
    )
    instrument.refresh_from_db()
    return instrument


@pytest.fixture
def cabinet(world, room):
    instrument = equipment.register_instrument(
        actor=world.qa, identifier="BSC-01", kind="biosafety_cabinet", name="Cabinet", room=room,
        calibration_interval_days=365,
    )  # fmt: skip
    equipment.record_calibration(
        actor=world.operator,
        instrument=instrument,
        performed_on=ago(30),
        performed_by="Vendor",
        result="pass",
    )
    instrument.refresh_from_db()
    return instrument


def _first_step(world, lot, **kw):
    step = world.process.steps.order_by("order").first()
    values = {p.pk: ((p.low + p.high) / 2, p.unit) for p in step.parameters.all()}
    t0 = timezone.now() - dt.timedelta(hours=3)
    return services.record_step(
        actor=world.operator, lot=lot, step=step, started_at=t0, finished_at=t0 + dt.timedelta(hours=1),
        values=values, **kw,
    )  # fmt: skip


def test_step_record_keeps_its_room_and_instruments(world, room, cabinet):
    lot = world.new_lot()
    record = _first_step(world, lot, room=room, instruments=[cabinet, cabinet])
    record = StepRecord.objects.get(pk=record.pk)
    assert record.room == room and list(record.instruments.all()) == [cabinet]
    assert not Deviation.objects.filter(source="equipment").exists()


def test_step_with_an_overdue_instrument_is_refused_and_nothing_is_written(world, room, nta):
    lot = world.new_lot()
    with pytest.raises(InstrumentRefused) as exc:
        _first_step(world, lot, room=room, instruments=[nta])
    assert (
        str(exc.value)
        == f"instrument NTA-01 is past its calibration due date {ago(20).isoformat()}: it cannot be used"
    )
    assert not StepRecord.objects.filter(lot=lot).exists()


def test_step_under_the_deviation_policy_is_recorded_with_a_deviation(world, room, nta):
    equipment.update_instrument(
        actor=world.qa, instrument=nta, overdue_policy="deviation", reason="QA rule 7"
    )
    nta.refresh_from_db()
    lot = world.new_lot()
    record = _first_step(world, lot, room=room, instruments=[nta])
    deviation = Deviation.objects.get(source="equipment")
    assert deviation.lot == lot and list(deviation.affected_lots.all()) == [lot]
    assert "NTA-01" in deviation.description and ago(20).isoformat() in deviation.description
    assert deviation.affected_equipment == "NTA-01"
    assert deviation.occurred_at == record.started_at


def test_qc_result_with_an_overdue_instrument_is_refused(world, nta):
    lot = world.in_qc()
    with pytest.raises(InstrumentRefused) as exc:
        services.record_qc_result(
            actor=world.analyst, lot=lot, attribute=world.attr("modal_size"), value="121", unit="nm",
            tested_at=timezone.now(), instrument=nta,
            controls=passing_controls(world.attr("modal_size")),
        )  # fmt: skip
    assert "NTA-01" in str(exc.value) and ago(20).isoformat() in str(exc.value)
    assert not QCResult.objects.filter(lot=lot).exists()


def test_qc_result_tested_while_calibrated_is_accepted_even_if_entered_late(world, nta):
    lot = world.in_qc()
    result = services.record_qc_result(
        actor=world.analyst, lot=lot, attribute=world.attr("modal_size"), value="121", unit="nm",
        tested_at=timezone.now() - dt.timedelta(days=25), instrument=nta,
        controls=passing_controls(world.attr("modal_size")),
    )  # fmt: skip
    assert result.instrument == nta


def test_qc_result_under_the_deviation_policy_opens_a_deviation(world, nta):
    equipment.update_instrument(
        actor=world.qa, instrument=nta, overdue_policy="deviation", reason="QA rule 7"
    )
    nta.refresh_from_db()
    lot = world.in_qc()
    result = services.record_qc_result(
        actor=world.analyst, lot=lot, attribute=world.attr("modal_size"), value="121", unit="nm",
        tested_at=timezone.now(), instrument=nta,
        controls=passing_controls(world.attr("modal_size")),
    )  # fmt: skip
    deviation = Deviation.objects.get(source="equipment")
    assert result.pk and deviation.lot == lot and "QC result modal_size" in deviation.description


def test_out_of_service_instrument_is_refused_on_a_qc_result(world, cabinet):
    equipment.take_out_of_service(actor=world.operator, instrument=cabinet, reason="HEPA failed")
    cabinet.refresh_from_db()
    lot = world.in_qc()
    with pytest.raises(InstrumentRefused, match=r"BSC-01 is out of service \(HEPA failed\)"):
        services.record_qc_result(
            actor=world.analyst, lot=lot, attribute=world.attr("modal_size"), value="121", unit="nm",
            tested_at=timezone.now(), instrument=cabinet,
            controls=passing_controls(world.attr("modal_size")),
        )  # fmt: skip


def test_import_names_the_instrument_by_identifier_and_points_at_its_column(world, nta, cabinet):
    lot = world.in_qc()
    today = timezone.localdate().isoformat()
    data = (
        "lot,attribute,value,unit,method,tested_at,instrument,negative_control,positive_recovery\n"
        f"{lot.number},modal_size,121,nm,NTA,{today},nta-01,,\n"
        f"{lot.number},endotoxin,0.1,EU/mL,LAL,{today},PR-99,not detected,95\n"
    ).encode()
    report = import_qc_results(actor=world.analyst, filename="run.csv", data=data)
    assert not report.ok
    by_row = {e.row: (e.column, e.message) for e in report.errors}
    assert by_row[3] == ("instrument", "unknown instrument PR-99")
    data = (
        "lot,attribute,value,unit,method,tested_at,instrument\n"
        f"{lot.number},modal_size,121,nm,NTA,{today},nta-01\n"
    ).encode()
    report = import_qc_results(actor=world.analyst, filename="run2.csv", data=data)
    assert [e.to_dict() for e in report.errors] == [
        {
            "row": 2,
            "column": "instrument",
            "message": f"instrument NTA-01 is past its calibration due date {ago(20).isoformat()}: it cannot be used",
        }
    ]
    data = (
        "lot,attribute,value,unit,method,tested_at,instrument\n"
        f"{lot.number},modal_size,121,nm,NTA,{today},BSC-01\n"
    ).encode()
    report = import_qc_results(actor=world.analyst, filename="run3.csv", data=data)
    assert report.ok
    assert QCResult.objects.get(pk=report.created[0]).instrument == cabinet


def test_release_record_names_the_instrument_only_when_given(world, cabinet):
    from evqms.lots.records import lot_release_record

    lot = world.in_qc()
    services.record_qc_result(
        actor=world.analyst, lot=lot, attribute=world.attr("modal_size"), value="121", unit="nm",
        tested_at=timezone.now(), instrument=cabinet,
        controls=passing_controls(world.attr("modal_size")),
    )  # fmt: skip
    services.record_qc_result(
        actor=world.analyst, lot=lot, attribute=world.attr("endotoxin"), value="0.1", unit="EU/mL",
        tested_at=timezone.now(),
        controls=passing_controls(world.attr("endotoxin")),
    )  # fmt: skip
    results = {r["attribute"]: r for r in lot_release_record(lot)["results"]}
    assert results["modal_size"]["instrument"] == "BSC-01"
    assert "instrument" not in results["endotoxin"]


def test_api_takes_the_instrument_by_identifier(world, nta, cabinet, client):
    lot = world.in_qc()
    client.force_login(world.analyst)
    url = f"/api/v1/lots/{lot.number}/results/"
    body = {"attribute": "modal_size", "value": "121", "unit": "nm", "tested_at": timezone.now().isoformat()}
    refused = client.post(url, {**body, "instrument": "NTA-01"}, content_type="application/json")
    assert refused.status_code == 409 and "NTA-01" in refused.json()["error"]
    unknown = client.post(url, {**body, "instrument": "XX-9"}, content_type="application/json")
    assert unknown.status_code == 400
    made = client.post(url, {**body, "instrument": "bsc-01"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["instrument"] == "BSC-01"
