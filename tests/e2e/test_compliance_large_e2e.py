"""A product assessed over many lots, read in a real browser in both languages: each item lists its
first reasons and evidence and says how many more there are, and the JSON report downloaded from the
page lists them all."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compliance"))

from evqms.guidance.report import REASONS_SHOWN  # noqa: E402

MORE = 35  # reasons past those shown


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "locale, more_line, button",
    [
        (
            "ja-JP",
            f"ここに記載していないもの: ほか {MORE} 件（JSON 形式のレポートに全件あります）",
            "報告書 (JSON, すべての理由)",
        ),
        (
            "en-US",
            f"not listed here: {MORE} more (the JSON report lists them all)",
            "Report (JSON, every reason)",
        ),
    ],
)
def test_many_reasons_are_counted_on_the_page_and_listed_in_the_json_report(
    browser, live_server, make_user, rf_request, login, shot, locale, more_line, button
):
    from compliance_helpers import make_world

    from evqms.compliance import overview, services
    from evqms.compliance.models import Assessment, AssessmentOverview

    world = make_world(make_user, rf_request)
    world.released_lot()
    services.run_assessment(actor=world.qa, product=world.product)
    stored = Assessment.objects.get()
    findings = stored.findings
    item = findings["items"][0]
    n = REASONS_SHOWN + MORE
    item["reasons"] = [
        {"en": f"Lot L-{k:04d}: out of range", "ja": f"ロット L-{k:04d}: 範囲外"} for k in range(n)
    ]
    item["evidence"] = [f"lot L-{k:04d}" for k in range(n)]
    Assessment.objects.filter(pk=stored.pk).update(findings=findings)
    AssessmentOverview.objects.filter(pk=stored.pk).update(
        shown=overview.shown(findings)
    )  # as run would write

    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, locale=locale, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        login(page, world.qa)
        page.goto(f"{live_server.url}/compliance/ucmsc-sev-oa/")
        shown = page.locator(f"#item-{item['id']}")
        assert shown.locator("ul.reasons > li:not(.more)").count() == REASONS_SHOWN
        assert shown.locator("ul.reasons > li.more").inner_text() == more_line
        assert shown.locator(".evidence a").count() == REASONS_SHOWN
        assert shown.locator(".evidence .more").inner_text() == more_line
        shown.scroll_into_view_if_needed()
        shot(page, f"compliance-many-reasons-{locale[:2]}")
        assert page.locator("#report-json").inner_text() == button
        with page.expect_download() as download:
            page.click("#report-json")
        report = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        listed = next(i for i in report["items"] if i["id"] == item["id"])
        assert len(listed["reasons"]) == n
        assert listed["reasons"][-1] == {
            "en": f"Lot L-{n - 1:04d}: out of range",
            "ja": f"ロット L-{n - 1:04d}: 範囲外",
        }
        assert download.value.suggested_filename.startswith("compliance-ucmsc-sev-oa-jsrm-2024-")
        assert not errors, errors
    finally:
        context.close()
