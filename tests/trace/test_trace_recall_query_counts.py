"""The recall's and hold's pages, API records and exports read a fixed number of queries whatever the
number of units they list (units on hold, shipped units, units destroyed in-house): a recall of a lot of
a few hundred units must not turn into a few hundred queries.

Two lots of one product are built the same way, one with 2 units of each kind and one with 6; the
pages of the larger one may not take more queries than those of the smaller one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evqms.inventory import services as inventory
from evqms.testing import factories as f
from evqms.trace import services

pytestmark = pytest.mark.django_db

SHIPPED_AT = dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.UTC)


def _recalled_lot(number: str, n: int, *, op, qa, request, location, consignee) -> tuple[str, str]:
    """Lot `number` with 3n units: n shipped (one shipment each), then recalled (2n units on hold), n
    of those destroyed in-house; then a hold on its cell bank. Returns (recall, hold) numbers."""
    bank = f.cell_bank(f"WCB-{number}", kind="WCB")
    lot = f.lot(number, status="released", bank=bank)
    units = inventory.create_aliquots(
        actor=op, lot=lot, count=3 * n, volume_ml="1.0", locations=[location] * (3 * n)
    )
    for unit in units[:n]:
        inventory.ship_aliquots(actor=op, aliquots=[unit], consignee=consignee, shipped_at=SHIPPED_AT)
    recall = services.recall_lot(
        request=request, actor=qa, lot=lot, reason="Endotoxin OOS", password=qa.raw_password
    )
    services.destroy_held_units(
        request=request,
        actor=qa,
        source=recall,
        aliquots=[u.container_id for u in units[n : 2 * n]],
        reason="Autoclaved",
        password=qa.raw_password,
    )
    hold = services.place_hold(actor=qa, scope="cell_bank", code=bank.code, reason="Mycoplasma at the bank")
    return recall.number, hold.number


@pytest.fixture
def recalls(make_user, rf_request):
    qa = make_user("count-qa", "qa_reviewer")
    op = f.user("count-op", "operator")
    site = inventory.create_location(actor=op, code="SITE-Q", name="Site", kind="site")
    freezer = inventory.create_location(actor=op, code="F-Q", name="Freezer", kind="freezer", parent=site)
    clinic = inventory.create_consignee(
        actor=op, code="CL-Q", name="Clinic", address="Kyoto 1", contact_name="Dr Sato"
    )
    kw = {"op": op, "qa": qa, "request": rf_request, "location": freezer, "consignee": clinic}
    small = _recalled_lot("LQ-S", 2, **kw)
    large = _recalled_lot("LQ-L", 6, **kw)
    return qa, small, large


def _count(client, path: str) -> int:
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


PAGES = {
    "recall page": "/trace/recalls/{recall}/",
    "recall CSV": "/trace/recalls/{recall}/recipients.csv",
    "recall API": "/api/v1/trace/recalls/{recall}/",
    "hold page": "/trace/holds/{hold}/",
    "hold API": "/api/v1/trace/holds/{hold}/",
    "trace page": "/trace/lot/{lot}/",
    "lot page": "/lots/{lot}/",
    "shipments API": "/api/v1/inventory/shipments/?lot={lot}",
}


def test_count_does_not_grow_with_units(recalls, client):
    qa, small, large = recalls
    client.force_login(qa)
    (small_recall, small_hold), (large_recall, large_hold) = small, large
    grown = []
    for name, path in PAGES.items():  # one world for every page: building it signs a dozen times
        few = _count(client, path.format(recall=small_recall, hold=small_hold, lot="LQ-S"))
        many = _count(client, path.format(recall=large_recall, hold=large_hold, lot="LQ-L"))
        if many > few:
            grown.append(f"{name}: {few} queries with 2 units of each kind, {many} with 6")
    assert not grown, grown
