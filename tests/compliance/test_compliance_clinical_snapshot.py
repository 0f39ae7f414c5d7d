"""Retention samples (evqms.inventory) and administrations (evqms.clinical) enter the snapshot:
JSRM-1-R2 follows them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from evqms.compliance.snapshot import build_snapshot
from evqms.guidance import ruleset
from evqms.guidance.engine import assess

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (apps.is_installed("evqms.inventory") and apps.is_installed("evqms.clinical")),
        reason="inventory and clinical apps not installed",
    ),
]


def status_of(snapshot, item):
    # Judged today: retention samples are kept until a date in the future.
    findings = assess(snapshot, ruleset.load("jsrm-2024"), now=timezone.now()).findings
    return next(f for f in findings if f.item.id == item)


def test_administration_without_retention_sample_then_with(world):
    from evqms.clinical import services as clinical
    from evqms.inventory import services as inventory

    lot = world.released_lot()
    assert status_of(build_snapshot(world.product), "JSRM-1-R2").status == "not_applicable"
    aliquots = inventory.create_aliquots(actor=world.operator, lot=lot, count=3, volume_ml=Decimal("1"))
    patient = clinical.register_patient(
        actor=world.physician, code="P-001", clinic_identifier="chart-123", consented_on=dt.date(2024, 6, 1)
    )
    clinical.record_administration(
        actor=world.physician,
        patient=patient,
        aliquots=[aliquots[0].container_id],
        administered_at=timezone.now() - dt.timedelta(hours=1),
        route="intra_articular",
        dose=Decimal("2e9"),
        dose_unit="particles",
        body_weight_kg=Decimal("60"),
    )
    snap = build_snapshot(world.product)
    (adm,) = snap.administrations
    assert (adm.patient, adm.lot, adm.route, adm.physician) == (
        "P-001",
        "UCEV-T-001",
        "intra_articular",
        "Dr1",
    )
    assert adm.dose is not None and adm.dose.basis == "particles"
    finding = status_of(snap, "JSRM-1-R2")
    assert finding.status == "not_met"
    assert any("no retention sample" in r["en"] for r in finding.reasons)

    inventory.record_retention_sample(
        actor=world.operator, lot=lot, aliquot=aliquots[1].container_id, quantity="1 vial"
    )
    snap = build_snapshot(world.product)
    assert [r.lot for r in snap.retention_samples] == ["UCEV-T-001"] and snap.retention_samples[0].in_stock
    finding = status_of(snap, "JSRM-1-R2")
    assert finding.status == "met", finding.reasons
