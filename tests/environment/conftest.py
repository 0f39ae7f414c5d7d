"""Rooms, points and people for the environmental-monitoring tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.accounts import roles
from evqms.testing import factories


@pytest.fixture
def people(db):
    return {
        "analyst": factories.user("em-analyst", roles.QC_ANALYST),
        "qa": factories.user("em-qa", roles.QA_REVIEWER),
        "operator": factories.user("em-operator", roles.OPERATOR),
    }


@pytest.fixture
def rooms(db):
    from evqms.equipment.models import Room

    return {
        "B": Room.objects.create(code="CR-B1", name="Aseptic filling room", grade="B"),
        "C": Room.objects.create(code="CR-C1", name="Culture room", grade="C"),
    }


@pytest.fixture
def points(people, rooms):
    from evqms.environment import services

    qa = people["qa"]
    return {
        "B": services.create_point(
            actor=qa, room=rooms["B"], code="B1-SP01", location="beside the filling needle",
            methods=["settle_plate", "contact_plate", "active_air", "particles_0_5", "particles_5"],
        ),
        "C": services.create_point(
            actor=qa, room=rooms["C"], code="C1-SP01", location="incubator bench", methods=["settle_plate"]
        ),
    }  # fmt: skip


def _local(year, month, day, hour=10, minute=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


@pytest.fixture
def local():
    """local(2026, 11, 2, 10) -> that moment in the facility's zone."""
    return _local


def _step_in_room(lot, room, start: dt.datetime, end: dt.datetime):
    """A step of `lot` recorded in `room` from start to end (plain ORM: the lots services are tested
    in their own area)."""
    from evqms.lots.models import StepRecord

    return StepRecord.objects.create(
        lot=lot,
        step=lot.process.steps.order_by("order").first(),
        operator=factories.user(),
        started_at=start,
        finished_at=end,
        room=room,
        recorded_at=end,
    )


@pytest.fixture
def step_in_room():
    return _step_in_room
