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
    lots.open_deviation(actor=world.qa, lot=lot, description=f"late label print on lot {n}")
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
