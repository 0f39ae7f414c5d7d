"""The evidence snapshot reads each kind of record for all the product's lots at once: its query
count does not grow with the lots (at 10,000 lots a query per lot is minutes of round trips)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evqms.compliance.snapshot import build_snapshot

pytestmark = pytest.mark.django_db


def lot_with_everything(world, n: int):
    """A released lot with materials, step records, QC, a deviation, aliquots, a retention sample and
    an administration with an adverse event: every kind of per-lot record the snapshot reads."""
    from evqms.clinical import services as clinical
    from evqms.inventory import services as inventory
    from evqms.lots import services as lots

    lot = world.released_lot(f"UCEV-Q-{n:03d}")
    deviation = lots.open_deviation(actor=world.qa, lot=lot, description=f"late label print on lot {n}")
    quality_records(world, lot, deviation, n)
    aliquots = inventory.create_aliquots(actor=world.operator, lot=lot, count=2, volume_ml=Decimal("1"))
    inventory.record_retention_sample(
        actor=world.operator, lot=lot, aliquot=aliquots[1].container_id, quantity="1 vial"
    )
    patient = clinical.register_patient(
        actor=world.physician,
        code=f"P-{n:03d}",
        clinic_identifier=f"chart-{n}",
        consented_on=dt.date(2024, 6, 1),
    )
    administration = clinical.record_administration(
        actor=world.physician,
        patient=patient,
        aliquots=[aliquots[0].container_id],
        administered_at=timezone.now() - dt.timedelta(hours=2),
        route="intra_articular",
        dose=Decimal("2e9"),
        dose_unit="particles",
        body_weight_kg=Decimal("60"),
    )
    clinical.record_adverse_event(
        actor=world.physician,
        patient=patient,
        administration=administration,
        onset=timezone.now() - dt.timedelta(hours=1),
        description="injection-site swelling",
        ctcae_grade=1,
        causality="possible",
    )
    return lot


def quality_records(world, lot, deviation, n: int) -> None:
    """The lot's steps in a graded room on a calibrated cabinet, the fill aseptic, its operator's
    media fill, a settle plate on each of its days, and a CAPA on its deviation (the records
    JSRM-2-R1/2-R2 read), each lot with its own instrument, media fill, sample and CAPA."""
    from evqms.capa.models import Capa, CapaAction
    from evqms.dossier.models import ProcessStep
    from evqms.environment.models import Sample, SamplingPoint
    from evqms.equipment.models import CalibrationRecord, Instrument, Room
    from evqms.lots.models import StepRecord
    from evqms.training.models import MediaFill, MediaFillParticipant

    now, today = timezone.now(), timezone.localdate()
    room, _ = Room.objects.get_or_create(code="CR-BQ", defaults={"name": "Aseptic room", "grade": "B"})
    point, _ = SamplingPoint.objects.get_or_create(
        code="BQ-SP01", defaults={"room": room, "location": "cabinet", "methods": ["settle_plate"],
                                  "created_by": world.qa, "created_at": now},
    )  # fmt: skip
    cabinet = Instrument.objects.create(
        identifier=f"BSC-Q{n}", kind="biosafety_cabinet", name="Cabinet", calibration_interval_days=180,
        created_by=world.qa, created_at=now,
    )  # fmt: skip
    CalibrationRecord.objects.create(
        instrument=cabinet, performed_on=today - dt.timedelta(days=10), performed_by="vendor", result="pass",
        next_due=today + dt.timedelta(days=170), recorded_by=world.qa, recorded_at=now,
    )  # fmt: skip
    records = StepRecord.objects.filter(lot=lot)
    records.update(room=room)
    for record in records:
        record.instruments.add(cabinet)
        Sample.objects.get_or_create(
            number=f"EM-Q{n}-{record.pk}",
            defaults={"point": point, "method": "settle_plate", "occupancy": "in_operation",
                      "due_on": timezone.localdate(record.started_at), "status": "taken",
                      "sampled_at": record.started_at, "count": 0, "verdict": "pass"},
        )  # fmt: skip
    ProcessStep.objects.filter(pk=world.process.steps.order_by("order").last().pk).update(aseptic=True)
    fill = MediaFill.objects.create(
        number=f"MF-Q{n}", performed_on=today - dt.timedelta(days=20 + n), line="CR-BQ", units_filled=10,
        units_incubated=10, units_contaminated=0, result="pass", validity_months=6, validity_source="Annex 1",
        recorded_by=world.qa, recorded_at=now,
    )  # fmt: skip
    MediaFillParticipant.objects.create(
        media_fill=fill, operator=world.operator, result="pass", expires_on=today + dt.timedelta(days=100)
    )
    capa = Capa.objects.create(
        number=f"CAPA-Q{n}", title="labels", kind="corrective", created_by=world.qa, created_at=now
    )
    capa.deviations.add(deviation)
    CapaAction.objects.create(capa=capa, description="label check", owner=world.qa, due_on=today)


def test_snapshot_query_count_does_not_grow_with_lots(world, django_assert_max_num_queries):
    for n in (1, 2):
        lot_with_everything(world, n)
    build_snapshot(world.product)  # the first build fills per-process caches
    with CaptureQueriesContext(connection) as small:
        snapshot = build_snapshot(world.product)
    queries = len(small)
    assert len(snapshot.lots) == 2 and len(snapshot.administrations) == 2
    for n in range(3, 7):
        lot_with_everything(world, n)
    with django_assert_max_num_queries(queries):
        snapshot = build_snapshot(world.product)
    # The same records as before, for six lots: nothing was left out to keep the count.
    assert len(snapshot.lots) == 6
    assert all(len(lot.qc_results) == 5 and len(lot.step_records) == 3 for lot in snapshot.lots)
    assert len(snapshot.deviations) == 6
    assert len(snapshot.retention_samples) == 6
    assert len(snapshot.administrations) == 6 and len(snapshot.adverse_events) == 6
    records = snapshot.quality_records
    assert len(records.instruments) == 6 and all(len(i.calibrations) == 1 for i in records.instruments)
    assert len(records.capas) == 6 and len(records.media_fills) == 6
    assert len(records.em_samples) == 18  # a settle plate per step record, 3 steps a lot
    assert all(r.room == "CR-BQ" and r.instruments for lot in snapshot.lots for r in lot.step_records)
