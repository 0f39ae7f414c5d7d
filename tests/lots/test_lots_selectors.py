"""Reads for lots: the list, the whole story of a lot, the dashboard card."""

from decimal import Decimal as D

import pytest
from lots_services_helpers import qc_lot, record

from evqms.lots import selectors, services

pytestmark = pytest.mark.django_db


def test_lot_list_has_no_n_plus_one(world, django_assert_max_num_queries):
    for i in range(5):
        world.new_lot(f"UCEV-T-{i:03d}")
    with django_assert_max_num_queries(1):
        rows = [
            (lot.number, lot.product.code, lot.process.version, lot.cell_bank.code, lot.open_deviations)
            for lot in selectors.lot_list(product="ucmsc-sev-oa")
        ]
    assert len(rows) == 5
    assert [lot.number for lot in selectors.lot_list(search="T-003")] == ["UCEV-T-003"]
    assert list(selectors.lot_list(status="released")) == []


def test_lot_detail_tells_the_story(world):
    lot = qc_lot(world)
    first = record(world, lot, "endotoxin", D("0.8"), "EU/mL")
    services.invalidate_qc_result(actor=world.analyst2, result=first, reason="lab error")
    retest = record(world, lot, "endotoxin", D("0.1"), "EU/mL", retest_of=first)
    services.verify_qc_result(actor=world.analyst2, result=retest)
    d = selectors.lot_detail(lot)
    assert d["product"]["code"] == "ucmsc-sev-oa" and d["process"]["version"] == 1
    assert d["materials"][0]["animal_component_free"] is True
    assert all(v["in_range"] for s in d["steps"] for v in s["values"])
    by_id = {r["id"]: r for r in d["results"]}
    assert by_id[first.pk]["oos"] and by_id[first.pk]["invalidation_reason"] == "lab error"
    assert by_id[first.pk]["retests"] == [retest.pk] and by_id[first.pk]["oos_deviation"].startswith("DEV-")
    assert by_id[retest.pk]["current"] and by_id[retest.pk]["verified_by"]["username"] == "qc2"
    assert by_id[retest.pk]["criterion"] == "< 0.5 EU/mL"
    assert d["deviations"][0]["source"] == "oos"
    assert {p["code"] for p in d["release_gate"]} >= {"status", "missing_result", "open_deviation"}


def test_dashboard_card(world):
    world.quarantined_lot()
    card = selectors.dashboard_card(world.qa)
    assert card["value"] == 1 and "1" in card["caption"]
    from evqms.testing import factories as f

    assert selectors.dashboard_card(f.user("nobody")) is None
