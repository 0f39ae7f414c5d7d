"""An inspector's walk through the audit trail in a real browser, Japanese then English: search a
lot number, open an event, the History link from the lot's page, export CSV and PDF."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from evqms.testing.trail import build_history


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_search_open_history_and_export(page, live_server, world, rf_request, make_user, login, shot):
    from pypdf import PdfReader

    build_history(world, rf_request, make_user)
    login(page, world.auditor)

    # Search by lot number (Japanese).
    page.goto(f"{live_server.url}/audit/")
    page.select_option("#f-kind", "lot")
    page.fill("#f-key", "UCEV-A")
    with page.expect_navigation():
        page.click("#trail-search-submit")
    scope = page.locator("#trail-scope").inner_text()
    assert "UCEV-A" in scope and "配下の記録" in scope
    assert page.locator("#trail-table tbody tr").count() >= 10
    shot(page, "audit-search-01-lot-ja")

    # Open the release signature's event.
    release = page.locator("#trail-table tbody tr", has_text="signature.release")
    with page.expect_navigation():
        release.locator("a.event-link").click()
    assert "JST" in page.locator("#event-when").inner_text()
    assert (
        "承認" in page.locator("#event-signature").inner_text()
        or "出荷" in page.locator("#event-signature").inner_text()
    )
    assert page.locator("#hash-ok").count() == 1
    shot(page, "audit-search-02-event-ja")

    # An event that changed fields: the lot's QC completion.
    page.goto(f"{live_server.url}/audit/?kind=lot&key=UCEV-A&action=lot.complete_qc")
    with page.expect_navigation():
        page.locator("a.event-link").first.click()
    assert page.locator("#changes tr.changed").count() >= 1
    shot(page, "audit-search-03-changes-ja")

    # The History link on the lot's page.
    page.goto(f"{live_server.url}/lots/UCEV-A/")
    with page.expect_navigation():
        page.click("#history-link")
    assert "object_type=lot" in page.url
    assert "UCEV-A" in page.locator("#trail-scope").inner_text()
    shot(page, "audit-search-04-history-ja")

    # Export the view: CSV, then PDF in Japanese.
    with page.expect_download() as info:
        page.click("#export-csv")
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text("utf-8"))))
    assert rows[0][0] == "seq" and len(rows) > 10
    assert all(r[1].endswith("+09:00") for r in rows[1:])
    with page.expect_download(timeout=60000) as info:  # the PDF is made on a busy machine too
        page.click("#export-pdf-ja", timeout=60000)
    first = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes())).pages[0].extract_text()
    assert "改ざんなし" in first and "先頭ハッシュ" in first

    # English.
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.goto(f"{live_server.url}/audit/?kind=lot&key=UCEV-A")
    assert "with the records under it" in page.locator("#trail-scope").inner_text()
    shot(page, "audit-search-05-lot-en")
    with page.expect_navigation():
        page.locator("#trail-table tbody tr", has_text="signature.release").locator("a.event-link").click()
    assert "Release" in page.locator("#event-signature").inner_text()
    shot(page, "audit-search-06-event-en")
    page.goto(f"{live_server.url}/audit/?kind=lot&key=UCEV-A")
    with page.expect_download(timeout=60000) as info:
        page.click("#export-pdf-en", timeout=60000)
    first = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes())).pages[0].extract_text()
    assert "Intact" in first and "Head hash" in first and "Lot number" in first
