"""In a real browser, in Japanese and in English: a physician enables the global impression of change
(PGIC, no baseline) for a product whose patients were treated before, plans the visits of one
administration from its page, records a rating of 2 ("much improved") at the visit, and reads it on
the product's evidence page: the ratings and the responders, without any baseline. The product is
the hand-built one of tests/reports/test_reports_evidence.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "evidence_world_pgic", Path(__file__).parents[1] / "reports" / "test_reports_evidence.py"
)
world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(world)

TEXT = {
    "ja": {"plan": "来院予定を立てる", "planned": "来院予定を立てました。", "record": "記録",
           "no_baseline": "なし：この評価尺度は投与以降の変化そのものを評価します", "ratings": "2: 1",
           "responders": "1/1 = 100.0 %"},
    "en": {"plan": "Plan their visits", "planned": "Visits planned.", "record": "Record",
           "no_baseline": "none: the instrument rates the change since the administration itself",
           "ratings": "2: 1", "responders": "1/1 = 100.0 %"},
}  # fmt: skip


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.django_db(transaction=True)
def test_physician_plans_and_records_a_pgic_without_baseline(page, live_server, login, shot, lang):
    from evqms.clinical import services as clinical
    from evqms.clinical.models import Administration

    text = TEXT[lang]
    product, _lots, physician = world.hand_product(
        f"ev-pg-{lang}", events=[], prefix=f"PG{lang}", follow_up=False
    )
    clinical.enable_instrument(actor=physician, product=product, instrument="pgic", follow_up_months=[1])
    adm = Administration.objects.filter(patient__code=f"ev-pg-{lang}-P01").get()
    physician.set_password("pgic-walk-pass")
    physician.save()
    base = live_server.url
    login(page, physician, "pgic-walk-pass")
    if lang == "en":
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")

    page.goto(f"{base}/clinical/administrations/{adm.number}/")
    with page.expect_navigation():
        page.get_by_role("button", name=text["plan"]).click()
    assert text["planned"] in page.content()
    assert page.locator("#plan-visits").count() == 0  # planned once, the offer is gone
    shot(page, f"pgic-01-planned-{lang}")

    with page.expect_navigation():
        page.locator("table a[href*='/visits/']").first.click()
    assert text["no_baseline"] in page.locator("#visit-baseline").inner_text()
    page.fill("#id_fu-evaluated_at", "2025-03-05T10:00")
    page.fill("#id_fu-item_change", "2")
    with page.expect_navigation():
        page.locator("#follow-up-form button[type=submit]").click()
    assert "2" in page.locator("#visit-score").inner_text()
    shot(page, f"pgic-02-rated-{lang}")

    page.goto(f"{base}/reports/evidence/{product.code}/")
    row = page.locator("#outcome-pgic-m1").inner_text()
    assert text["ratings"] in row and text["responders"] in row
    shot(page, f"pgic-03-evidence-{lang}")
