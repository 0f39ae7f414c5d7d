"""Lot services: creation rules, manufacturing records, QC results, deviations, the release gate, release."""

import pytest

from evqms.lots import selectors, services
from evqms.lots.models import Deviation, QCResult  # noqa: F401

pytestmark = pytest.mark.django_db


def test_full_path_to_release(world, rf_request):
    lot = world.quarantined_lot()
    assert lot.status == "quarantine"
    assert selectors.release_gate(lot) == []
    released = services.release_lot(
        request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password, reason="all results pass"
    )
    assert released.status == "released"
    assert released.release_signature.meaning == "release"
    detail = selectors.lot_detail(released)
    assert detail["signatures"][0]["applies_to_current"] is True
    assert detail["signatures"][0]["printed_name"] == "Qa1"
