"""In a real browser, in Japanese and in English: a physician opens a product's page, follows the
link to what the evidence says, reads the rates with their intervals and the outcome table with
its completeness, downloads the yearly report and follows the lot flagged for investigation to its
lot page. The product is the hand-built one of tests/reports/test_reports_evidence.py (its figures
worked out there)."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

_spec = importlib.util.spec_from_file_location(
    "evidence_world", Path(__file__).parents[1] / "reports" / "test_reports_evidence.py"
)
world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(world)

TEXT = {
    "ja": {"link": "エビデンスの要約", "flagged": "調査対象", "ci": "95 % 信頼区間 6.7 – 65.2 %", "m3": "予定 10 件中 7 件",
           "report": "年次エビデンス報告"},
    "en": {"link": "What the evidence says", "flagged": "Flagged for investigation", "ci": "95 % CI 6.7 – 65.2 %",
           "m3": "7 of 10 expected", "report": "Yearlyevidencereport"},
}  # fmt: skip


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.django_db(transaction=True)
def test_physician_reads_the_evidence_and_follows_the_flagged_lot(
    page, live_server, make_user, login, shot, lang
):
    text = TEXT[lang]
    product, _lots, _doc = world.hand_product()
    physician = make_user("doc-evidence", "physician")
    base = live_server.url
    login(page, physician)
    if lang == "en":
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")

    page.goto(f"{base}/dossier/p/{product.code}/")
    with page.expect_navigation():
        page.get_by_role("link", name=text["link"]).click()
    assert page.url.endswith(f"/reports/evidence/{product.code}/")
    rates = page.locator("#rates")
    assert "3/10 = 30.0 %" in rates.inner_text() and text["ci"] in rates.inner_text()
    assert text["m3"] in page.locator("#outcome-nrs-pain-m3").inner_text()
    flagged_row = page.locator("#lot-table tr.flagged")
    assert flagged_row.count() == 1 and text["flagged"] in flagged_row.inner_text()
    shot(page, f"evidence-01-product-{lang}")

    # The yearly report of 2025 in the page's language, downloaded from the form.
    page.fill("#id_year", "2025")
    with page.expect_download() as download:
        page.locator("#yearly-form button[type=submit]").click()
    pdf = download.value.path().read_bytes()
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")
    assert text["report"] in pdf_text and "3/10=30.0%" in pdf_text

    with page.expect_navigation():
        page.locator("#flagged a.flagged-lot").click()
    assert page.url.endswith("/lots/EVH-C/")
    assert "EVH-C" in page.locator("h1").inner_text()
    shot(page, f"evidence-02-flagged-lot-{lang}")
