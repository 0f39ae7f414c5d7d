"""The studies dashboard card: potency runs of the last 30 days outside acceptance or not
parallel (the value), of how many runs, and NTA exports recorded despite warnings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone, translation

from evqms.studies import services
from evqms.studies.selectors import dashboard_card
from evqms.testing import factories as f
from evqms.web.selectors import dashboard_cards

pytestmark = pytest.mark.django_db

POTENCY_PLATE = Path(__file__).resolve().parents[1] / "fixtures" / "potency" / "plate_two_lots.csv"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _assay(world, name, low, high):
    return services.create_potency_assay(
        actor=world.analyst, product=world.product, name=name, mechanism="macrophage polarisation",
        indication="Knee osteoarthritis", reference_lot=world.ref, acceptance_low=low, acceptance_high=high,
        qc_attribute_code="potency",
    )  # fmt: skip


def _run(world, assay, lot=None, tested_at=None):
    return services.record_potency_run(
        actor=world.analyst, assay=assay, test_lot=lot or world.lot, filename="plate.csv",
        data=POTENCY_PLATE.read_bytes(), dose_column="conc_ng_ml", response_column="signal", curve_column="lot",
        tested_at=tested_at,
    )  # fmt: skip


def test_card_needs_a_role(world):
    assert dashboard_card(f.user("norole")) is None
    card = dashboard_card(world.operator)
    assert card == {
        "title": "Studies",
        "value": 0,
        "caption": "of 0 potency runs in 30 days outside acceptance or not parallel; "
        "0 NTA exports recorded despite warnings",
        "url_name": "studies:index",
    }


def test_card_counts_recent_failing_potency_runs(world):
    wide = _assay(world, "Wide range", "1", "10000")
    passing = _run(world, wide)
    assert passing.within_acceptance and passing.parallel
    assert dashboard_card(world.analyst)["value"] == 0
    assert dashboard_card(world.analyst)["caption"].startswith("of 1 potency runs in 30 days")

    # an acceptance range far above the plate's relative potency: the run fails it
    narrow = _assay(world, "Narrow range", "500", "600")
    failing = _run(world, narrow)
    assert not failing.within_acceptance
    card = dashboard_card(world.analyst)
    assert card["value"] == 1 and card["caption"].startswith("of 2 potency runs in 30 days")

    # a failing run tested 40 days ago is outside the window
    lot2 = f.lot("UCEV-T-002", status="qc", prod=world.product)
    _run(world, narrow, lot=lot2, tested_at=timezone.now() - dt.timedelta(days=40))
    card = dashboard_card(world.qa)
    assert card["value"] == 1 and card["caption"].startswith("of 2 potency runs")


def test_card_counts_nta_exports_recorded_despite_warnings(world, nta_synth):
    videos = [
        nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=110, gsd=1.4, total=t) for t in (3e10, 3.1e10)
    ]
    clean = nta_synth.nanosight_csv(videos, dilution=100.0)
    warned = nta_synth.nanosight_csv(videos, dilution=100.0, overrides={("Mode", "Average"): "150.0"})
    services.attach_nta_export(actor=world.analyst, lot=world.lot, filename="a.csv", data=clean)
    assert dashboard_card(world.analyst)["caption"].endswith("0 NTA exports recorded despite warnings")
    lot2 = f.lot("UCEV-T-002", status="qc", prod=world.product)
    services.attach_nta_export(
        actor=world.analyst, lot=lot2, filename="b.csv", data=warned, confirm_warnings=True
    )
    assert dashboard_card(world.analyst)["caption"].endswith("1 NTA exports recorded despite warnings")


def test_card_on_the_dashboard(client, world):
    narrow = _assay(world, "Narrow range", "500", "600")
    _run(world, narrow)
    cards = {c["title"]: c for c in dashboard_cards(world.operator)}
    assert cards["Studies"]["value"] == 1 and cards["Studies"]["url"] == "/studies/"
    assert "Studies" not in {c["title"] for c in dashboard_cards(f.user("norole"))}
    client.force_login(world.operator)
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    page = client.get("/").content.decode()
    assert 'href="/studies/"' in page and "試験・研究" in page
    assert "過去30日間の力価試験 1 件のうち" in page
