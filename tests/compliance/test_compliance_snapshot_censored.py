"""A censored QC result reaches the compliance engine with its sign and is judged there as the lot's
QC rules judge it: "< 0.05 EU/mL" meets "< 0.5 EU/mL" (every value below 0.05 does), "< 1 EU/mL"
does not (it may be 0.7), and neither is read as a measured 0.05 or 1."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone

from evqms.compliance.snapshot import build_snapshot
from evqms.guidance import evidence as ev
from evqms.lots import services
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot_world(make_user):
    """The lot area's world (the compliance tests' own `world` is a whole dossier)."""
    from evqms.testing.world import World

    return World.build(make_user)


def _endotoxin(world, number, value):
    lot = world.manufacture(world.new_lot(number))
    services.record_qc_result(
        actor=world.analyst,
        lot=lot,
        attribute=world.attr("endotoxin"),
        value=value,
        unit="EU/mL",
        tested_at=timezone.now(),
        controls=passing_controls(world.attr("endotoxin")),
    )
    return lot


def test_the_snapshot_judges_a_censored_result_as_the_lot_page_does(lot_world):
    world = lot_world
    _endotoxin(world, "UCEV-T-101", "<0.05")
    _endotoxin(world, "UCEV-T-102", "<1")
    snap = build_snapshot(world.product)
    attribute = next(a for a in snap.attributes() if a.category == "endotoxin")
    judged = {}
    for lot in snap.lots:
        for result in lot.qc_results:
            if result.attribute == attribute.id:
                judged[lot.id] = (result.censor, result.value, ev.result_in_spec(attribute, result))
    assert judged == {"UCEV-T-101": ("<", D("0.05"), True), "UCEV-T-102": ("<", D("1"), False)}
