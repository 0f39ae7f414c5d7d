"""Inventory services: locations, aliquots, moves, reservations (one wins), retention due/missing."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from evqms.audit.models import AuditEvent
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.inventory import selectors, services
from evqms.inventory.models import Aliquot, AliquotMove, RetentionPolicy, RetentionSample
from evqms.testing import factories as f


@pytest.fixture
def op(db):
    return f.user("inv-operator", "operator")


def _box(op):
    site = services.create_location(actor=op, code="S1", name="Site", kind="site")
    freezer = services.create_location(
        actor=op, code="S1-F1", name="Freezer", kind="freezer", parent=site, temperature_c="-80"
    )
    rack = services.create_location(actor=op, code="S1-F1-R1", name="Rack", kind="rack", parent=freezer)
    box = services.create_location(
        actor=op, code="S1-F1-R1-B1", name="Box", kind="box", parent=rack, capacity=81
    )
    return [
        services.create_location(actor=op, code=f"P{i}", name=f"P{i}", kind="position", parent=box)
        for i in (1, 2, 3)
    ]


def test_hierarchy_is_enforced_and_positions_hold_one(op):
    p1, p2, _p3 = _box(op)
    assert p1.capacity == 1
    with pytest.raises(InputError, match="cannot be placed"):
        services.create_location(actor=op, code="X", name="X", kind="rack", parent=None)
    with pytest.raises(InputError, match="already exists"):
        services.create_location(actor=op, code="P1", name="P1", kind="site")
    tree = selectors.location_tree()
    assert [row["location"].code for row in tree][:4] == ["S1", "S1-F1", "S1-F1-R1", "S1-F1-R1-B1"]
    assert [row["depth"] for row in tree][:5] == [0, 1, 2, 3, 4]


def test_aliquots_only_from_a_released_lot(op):
    lot = f.lot("L-QC", status="qc")
    with pytest.raises(RuleViolation, match="not released"):
        services.create_aliquots(actor=op, lot=lot, count=2, volume_ml="1")
    assert not Aliquot.objects.exists()
    released = f.lot("L-REL", status="released")
    made = services.create_aliquots(actor=op, lot=released, count=3, volume_ml="0.5", particle_count="1.5e10")
    assert [a.container_id for a in made] == ["L-REL-A001", "L-REL-A002", "L-REL-A003"]
    assert made[0].particle_count == Decimal("15000000000")
    more = services.create_aliquots(actor=op, lot=released, count=1, volume_ml="0.5")
    assert more[0].container_id == "L-REL-A004"
    with pytest.raises(InputError):
        services.create_aliquots(actor=op, lot=released, count=1, volume_ml="-1")


def test_move_to_an_occupied_position_is_refused_and_nothing_written(op):
    p1, p2, p3 = _box(op)
    lot = f.lot("L-MOVE", status="released")
    a, b = services.create_aliquots(actor=op, lot=lot, count=2, volume_ml="1", locations=[p1, p2])
    events, moves = AuditEvent.objects.count(), AliquotMove.objects.count()
    with pytest.raises(RuleViolation, match="P2 is occupied"):
        services.move_aliquot(actor=op, aliquot=a, to_location=p2)
    assert AuditEvent.objects.count() == events and AliquotMove.objects.count() == moves
    a.refresh_from_db()
    assert a.location == p1
    services.move_aliquot(actor=op, aliquot=a, to_location=p3, reason="defrost of box")
    a.refresh_from_db()
    assert a.location == p3 and a.moves.get().from_location == p1
    # the freed position takes another container
    services.move_aliquot(actor=op, aliquot=b, to_location=p1)


def test_discard_needs_a_reason_and_frees_the_position(op):
    p1, *_ = _box(op)
    lot = f.lot("L-DISC", status="released")
    (a,) = services.create_aliquots(actor=op, lot=lot, count=1, volume_ml="1", locations=[p1])
    with pytest.raises(InputError, match="reason"):
        services.discard_aliquot(actor=op, aliquot=a, reason=" ")
    services.discard_aliquot(actor=op, aliquot=a, reason="Cracked vial")
    a.refresh_from_db()
    assert (a.status, a.reason, a.location) == ("discarded", "Cracked vial", None)
    with pytest.raises(RuleViolation):
        services.discard_aliquot(actor=op, aliquot=a, reason="again")


def test_roles_are_checked_in_the_service(db):
    auditor = f.user("inv-auditor", "auditor")
    with pytest.raises(PermissionDenied):
        services.create_location(actor=auditor, code="S9", name="S9", kind="site")


def test_excursion_recorded_with_audit(op):
    p1, *_ = _box(op)
    freezer = p1.parent.parent.parent
    start = dt.datetime(2025, 1, 5, 2, 0, tzinfo=dt.UTC)
    exc = services.record_excursion(
        actor=op,
        location=freezer,
        started_at=start,
        extreme_temperature_c="-52.5",
        ended_at=start + dt.timedelta(hours=2),
        description="Door left ajar",
    )
    assert exc.extreme_temperature_c == Decimal("-52.5")
    assert AuditEvent.objects.filter(action="location.excursion").count() == 1
    with pytest.raises(InputError):
        services.record_excursion(
            actor=op,
            location=freezer,
            started_at=start,
            extreme_temperature_c="-50",
            ended_at=start - dt.timedelta(hours=1),
            description="x",
        )


def test_retain_until_from_the_configurable_period(op, settings):
    lot = f.lot("L-RET", status="released", expiry=dt.date(2026, 3, 31))
    (a, b) = services.create_aliquots(actor=op, lot=lot, count=2, volume_ml="1")
    sample = services.record_retention_sample(actor=op, aliquot=a, taken_on=dt.date(2025, 4, 1))
    assert sample.retain_until == dt.date(2027, 3, 31)  # default: one year after expiry
    a.refresh_from_db()
    assert a.status == "retained"
    RetentionPolicy.objects.create(subject="lot", period_days=730, after_expiry=False)
    sample2 = services.record_retention_sample(actor=op, aliquot=b, taken_on=dt.date(2025, 4, 1))
    assert sample2.retain_until == dt.date(2027, 4, 1)
    RetentionPolicy.objects.all().delete()
    settings.EVQMS_RETENTION = {"material_lot": {"period_days": 30, "after_expiry": True}}
    mlot = f.material_lot("Human platelet lysate", "HPL-R", is_biological=True, expiry=dt.date(2025, 12, 1))
    s3 = services.record_retention_sample(
        actor=op, material_lot=mlot, quantity="5 mL", taken_on=dt.date(2025, 1, 1)
    )
    assert s3.retain_until == dt.date(2025, 12, 31)


def test_retention_due_and_missing(op):
    from evqms.clinical import services as clinical
    from evqms.lots.models import MaterialUsage

    physician = f.user("inv-physician", "physician")
    lot_kept, lot_missing = f.lot("L-K", status="released"), f.lot("L-M", status="released")
    hpl = f.material_lot("Human platelet lysate", "HPL-X", is_biological=True)
    fbs = f.material_lot("Fetal bovine serum", "FBS-X", animal_species="bovine", is_biological=True)
    f.material_lot("Human albumin", "HSA-UNUSED", is_biological=True)  # never used: not listed
    for lot in (lot_kept, lot_missing):
        for m in (hpl, fbs):
            MaterialUsage.objects.create(
                lot=lot, material_lot=m, quantity=1, unit="mL", recorded_by=op, recorded_at=lot.created_at
            )
    ka = services.create_aliquots(actor=op, lot=lot_kept, count=2, volume_ml="1")
    ma = services.create_aliquots(actor=op, lot=lot_missing, count=1, volume_ml="1")
    clinical.register_patient(
        actor=physician, code="P-R", clinic_identifier="CH-R", consented_on=dt.date(2025, 1, 1)
    )
    for a in (ka[0], ma[0]):
        clinical.record_administration(
            actor=physician,
            patient="P-R",
            aliquots=[a.container_id],
            administered_at=dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC),
            route="intra_articular",
        )
    services.record_retention_sample(actor=op, aliquot=ka[1])
    gaps = {(g.kind, g.code) for g in selectors.retention_missing()}
    assert gaps == {("lot", "L-M"), ("material_lot", "HPL-X"), ("material_lot", "FBS-X")}
    services.record_retention_sample(actor=op, material_lot=hpl, quantity="5 mL")
    services.record_retention_not_kept(actor=op, material_lot=fbs, reason="Supplier keeps it (QA-7)")
    assert {(g.kind, g.code) for g in selectors.retention_missing()} == {("lot", "L-M")}
    # due: the HPL sample (expiry in a year + 1 year) is not due; one taken on an old expired lot is
    old = f.lot("L-OLD", status="released", expiry=dt.date(2020, 1, 1))
    RetentionSample.objects.create(
        lot=old,
        status="in_stock",
        retain_until=dt.date(2021, 1, 1),
        recorded_by=op,
        recorded_at=old.created_at,
    )
    assert [s.lot.number for s in selectors.retention_due(today=dt.date(2025, 6, 1)) if s.lot] == ["L-OLD"]


def test_label_is_an_svg_2d_code(op):
    lot = f.lot("L-LBL", status="released")
    (a,) = services.create_aliquots(actor=op, lot=lot, count=1, volume_ml="1")
    svg = selectors.label_svg(a)
    assert svg.startswith("<svg") and "path" in svg


@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_one_wins():
    op = f.user("race-operator", "operator")
    lot = f.lot("L-RACE", status="released")
    (a,) = services.create_aliquots(actor=op, lot=lot, count=1, volume_ml="1")
    barrier = threading.Barrier(2)
    outcomes = []

    def reserve(n):
        try:
            barrier.wait(timeout=10)
            services.reserve_aliquot(actor=op, aliquot=a.container_id, reason=f"thread {n}")
            outcomes.append("won")
        except RuleViolation:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["refused", "won"]
    a.refresh_from_db()
    assert a.status == "reserved"
    assert AuditEvent.objects.filter(action="aliquot.reserve").count() == 1
