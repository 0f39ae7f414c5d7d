"""The clinical tests' world: a released lot with four aliquots and a consented patient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.clinical import services
from evqms.inventory import services as inventory
from evqms.testing import factories as f


@pytest.fixture
def world(db):
    op = f.user("cl-operator", "operator")
    doc = f.user("cl-physician", "physician")
    lot = f.lot("L-C1", status="released")
    aliquots = inventory.create_aliquots(
        actor=op, lot=lot, count=4, volume_ml="1", particle_count="2e10", protein_ug="20"
    )
    patient = services.register_patient(
        actor=doc,
        code="P-100",
        clinic_identifier="chart-100",
        consented_on=dt.date(2024, 1, 1),
        birth_year=1960,
        sex="female",
    )
    return op, doc, lot, aliquots, patient


@pytest.fixture
def administered(world):
    """The world's first aliquot given to P-100 a day ago."""
    _op, doc, _lot, aliquots, _patient = world
    return services.record_administration(
        actor=doc,
        patient="P-100",
        aliquots=[aliquots[0].container_id],
        administered_at=timezone.now() - dt.timedelta(days=1),
        route="intra_articular",
    )


@pytest.fixture
def reported(world, administered):
    """A grade 1 fever from the moment of that administration."""
    return services.record_adverse_event(
        actor=world[1],
        patient="P-100",
        administration=administered,
        onset=administered.administered_at,
        description="Fever",
        ctcae_grade=1,
        causality="possible",
    )
