"""QA's work queue: the dashboard's Recalls card counts open recalls, the shipped units they still
follow and the active holds; the recall is named on its lot's page and in the lot's trace (open or
closed); the menu has a Trace entry for those who may read it. Lineage: tests/trace/conftest.py."""

from __future__ import annotations

import pytest

from evqms.inventory import services as inventory
from evqms.testing import factories as f
from evqms.trace import services
from evqms.trace.selectors import dashboard_card


@pytest.fixture
def recalled(lineage, rf_request):
    qa = f.user("card-qa", "qa_reviewer")
    op = lineage.operator
    inventory.create_consignee(actor=op, code="CL-1", name="Clinic One", address="Kyoto", contact_name="Dr S")
    inventory.create_aliquots(actor=op, lot=lineage.lots["L1"], count=2, volume_ml="1.0")
    inventory.ship_aliquots(actor=op, aliquots=["L1-A004", "L1-A005"], consignee="CL-1")
    services.recall_lot(
        request=rf_request, actor=qa, lot="L1", reason="Endotoxin OOS", password=qa.raw_password
    )
    return qa


def _login(client, user, lang="en"):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": lang, "next": "/"})


def test_card_counts_open_recalls_and_units(recalled, lineage):
    card = dashboard_card(recalled)
    assert card["value"] == 1
    assert card["url_name"] == "trace:index"
    assert "2 shipped units still open" in card["caption"] and "0 active holds" in card["caption"]
    services.close_recall_unit(
        actor=recalled, recall="RC-00001", aliquot="L1-A004", outcome="returned", note="ok"
    )
    services.place_hold(actor=recalled, scope="material_lot", code="FBS-1", reason="TSE")
    card = dashboard_card(recalled)
    assert "1 shipped units still open" in card["caption"] and "1 active holds" in card["caption"]
    # the operator (who may not read recalls) and the physician (who neither closes nor confirms) get none
    assert dashboard_card(lineage.operator) is None
    assert dashboard_card(lineage.physician) is None


def test_dashboard_lot_page_and_trace_name_the_recall(recalled, client):
    _login(client, recalled)
    dashboard = client.get("/").content.decode()
    assert "Recalls" in dashboard and "/trace/" in dashboard
    assert 'href="/trace/"' in dashboard  # the menu's Trace entry
    lot_page = client.get("/lots/L1/").content.decode()
    assert "/trace/recalls/RC-00001/" in lot_page
    trace_page = client.get("/trace/lot/L1/").content.decode()
    assert 'id="trace-recalls"' in trace_page and "/trace/recalls/RC-00001/" in trace_page
    # traced from upstream (the cell bank), the recall of L1 is named too
    assert "/trace/recalls/RC-00001/" in client.get("/trace/cell_bank/WCB-1A-X/").content.decode()
    index = client.get("/trace/").content.decode()
    assert (
        'id="recalls"' in index
        and "<title>" in index
        and "Place a hold</a></p>" not in index.split("</title>")[0]
    )
    _login(client, recalled, "ja")
    assert "件の回収が進行中" in client.get("/").content.decode()
