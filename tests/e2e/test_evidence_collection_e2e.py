"""In a real browser, in Japanese and in English, the demo's physician: reads the evidence page with
the lot flagged by the signal test (UCEV-24-001, 10 events in 15 administrations against 1 in 16),
opens this year's yearly page and issues the report, then assesses the product against the
evidence-collection rule set and follows a finding's evidence to the administration it names."""

from __future__ import annotations

import pytest
from django.utils import timezone

TEXT = {
    "ja": {"flagged": "調査対象", "issued": "年次報告を発行しました", "met": "適合", "partly": "一部適合",
           "issue_lang": "ja", "no_baseline": "ベースラインがありません"},
    "en": {"flagged": "Flagged for investigation", "issued": "issued.", "met": "met", "partly": "partly met",
           "issue_lang": "en", "no_baseline": "has no baseline"},
}  # fmt: skip


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.django_db(transaction=True)
def test_physician_walks_the_evidence_collection(page, live_server, login, shot, lang):
    from django.contrib.auth import get_user_model

    from evqms.web.demo import load_demo

    text = TEXT[lang]
    passwords = {row["username"]: row["password"] for row in load_demo()}
    physician = get_user_model().objects.get(username="physician")
    base = live_server.url
    login(page, physician, passwords["physician"])
    if lang == "en":
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")

    # 1. The evidence page: 30 patients, UCEV-24-001 flagged (p 0.0043, Holm 0.0087 < 0.05).
    page.goto(f"{base}/reports/evidence/ucmsc-sev-oa/")
    assert page.locator("#n-patients").inner_text().strip() == "30"
    flagged = page.locator("#lot-table tr.flagged")
    assert (
        flagged.count() == 1
        and "UCEV-24-001" in flagged.inner_text()
        and text["flagged"] in flagged.inner_text()
    )
    assert "0.009" in flagged.inner_text()  # the adjusted p-value, 0.0087 to three places
    shot(page, f"evidence-collection-01-evidence-{lang}")

    # 2. This year's yearly page, then the report issued in the page's language.
    year = timezone.localdate().year
    with page.expect_navigation():
        page.locator(f"#yearly-pages a[href$='/{year}/']").click()
    assert page.url.endswith(f"/reports/evidence/ucmsc-sev-oa/{year}/")
    assert "UCEV-24-001" in page.locator("#lot-table tr.flagged").inner_text()
    shot(page, f"evidence-collection-02-yearly-{lang}")
    page.select_option("#id_issue_lang", text["issue_lang"])
    with page.expect_navigation():
        page.locator("#issue-form button[type=submit]").click()
    assert text["issued"] in page.locator(".messages, .message, body").first.inner_text()
    assert page.locator("#issued-table tbody tr").count() == 1
    assert "ER-" in page.locator("#issued-table").inner_text()
    shot(page, f"evidence-collection-03-issued-{lang}")

    # 3. The compliance page against the evidence-collection rule set, assessed now.
    page.goto(f"{base}/compliance/ucmsc-sev-oa/?ruleset=evidence-collection")
    with page.expect_navigation():
        page.click("#assess-now")
    evc4 = page.locator("#item-EVC-4")
    assert evc4.locator(".badge").first.inner_text().strip() == text["met"]
    evc1 = page.locator("#item-EVC-1")
    assert evc1.locator(".badge").first.inner_text().strip() == text["partly"]
    assert text["no_baseline"] in evc1.inner_text()
    assert page.locator("#item-EVC-2").count() == 1 and page.locator("#item-EVC-3").count() == 1
    shot(page, f"evidence-collection-04-compliance-{lang}")
    link = evc1.locator(".evidence a").first
    href = link.get_attribute("href")
    assert href.startswith("/clinical/administrations/ADM-")
    with page.expect_navigation():
        link.click()
    assert page.url.endswith(href)
    shot(page, f"evidence-collection-05-administration-{lang}")
