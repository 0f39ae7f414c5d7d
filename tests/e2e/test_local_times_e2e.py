"""In a real browser: the audit trail and a lot page show local time with its zone (08:30 JST on
the 6th for an event at 23:30 UTC on the 5th), in Japanese and English; a certificate of analysis
that cannot be made (the font package missing) is a page in the app's layout saying what to do, and
a compliance report that cannot be made says so, not that a PDF could not be."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from evqms.testing.world import passing_controls

EARLY = dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)  # 08:30 JST on 6 December


def _switch_to_english(page):
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")


@pytest.mark.django_db(transaction=True)
def test_audit_trail_and_lot_page_show_jst(page, live_server, login, shot, world):
    from evqms.lots import services

    with mock.patch.object(timezone, "now", lambda: EARLY):
        lot = world.in_qc("UCEV-TZ-001")
        services.record_qc_result(
            actor=world.analyst,
            lot=lot,
            attribute=world.attr("endotoxin"),
            value="0.10",
            unit="EU/mL",
            tested_at=EARLY,
            controls=passing_controls(world.attr("endotoxin")),
        )
    login(page, world.auditor)
    page.goto(f"{live_server.url}/audit/?object_type=lot")
    rows = page.locator("table tbody tr")
    assert rows.first.locator("td").nth(1).inner_text() == "2026-12-06 08:30:00 JST"
    assert page.locator("thead th").nth(1).inner_text().startswith("日時")  # 日時（Asia/Tokyo）
    shot(page, "local-times-01-audit-ja")
    _switch_to_english(page)
    assert page.locator("thead th").nth(1).inner_text().startswith("When")  # When (Asia/Tokyo)
    assert rows.first.locator("td").nth(1).inner_text() == "2026-12-06 08:30:00 JST"
    shot(page, "local-times-02-audit-en")

    page.goto(f"{live_server.url}/lots/{lot.number}/")
    body = page.locator("main").inner_text()
    assert "2026-12-06 08:30 JST" in body and "2026-12-03 08:30 JST" in body
    page.locator("text=2026-12-06 08:30 JST").first.scroll_into_view_if_needed()
    shot(page, "local-times-03-lot-en")
    with page.expect_navigation():
        page.select_option("select[name=language]", "ja")
    assert "2026-12-06 08:30 JST" in page.locator("main").inner_text()
    shot(page, "local-times-04-lot-ja")


@pytest.mark.django_db(transaction=True)
def test_pdf_error_page(page, live_server, login, shot, world, monkeypatch):
    from evqms.core import pdf

    lot = world.new_lot("UCEV-TZ-002")
    monkeypatch.setattr(pdf, "FONT_PACKAGE", "no_such_font_package")  # as on a broken install
    login(page, world.auditor)
    page.goto(f"{live_server.url}/lots/{lot.number}/")
    response = page.goto(f"{live_server.url}/reports/coa/{lot.number}.pdf")
    assert response.status == 503
    assert page.locator("h1").inner_text() == "PDFを作成できませんでした"
    assert "make install" in page.locator("#pdf-error").inner_text()
    assert page.locator("a.brand").count() == 1  # the app's own layout and menu
    shot(page, "pdf-error-ja")
    _switch_to_english(page)
    assert page.locator("h1").inner_text() == "The PDF could not be made"
    shot(page, "pdf-error-en")


@pytest.mark.django_db(transaction=True)
def test_report_error_page_names_the_report_not_a_pdf(page, live_server, login, shot, world, monkeypatch):
    """The compliance report is also an HTML page and a JSON download: its failure page says the
    report could not be made."""
    from evqms.compliance import services
    from evqms.compliance.views import product

    def broken(*args, **kwargs):
        raise OSError("disk full")

    services.run_assessment(actor=None, product=world.product, ruleset_refs=["jsrm-2024"])
    monkeypatch.setattr(product, "render_stored", broken)
    login(page, world.qa)
    page.goto(f"{live_server.url}/compliance/{world.product.code}/")
    response = page.goto(f"{live_server.url}/compliance/{world.product.code}/report.html")
    assert response.status == 500
    assert page.locator("h1").inner_text() == "報告書を作成できませんでした"
    assert page.locator("#pdf-error .errorlist").inner_text() == "報告書を作成できませんでした（OSError）。"
    assert "disk full" not in page.locator("main").inner_text()
    shot(page, "report-error-ja")
    _switch_to_english(page)
    assert page.locator("h1").inner_text() == "The report could not be made"
    shot(page, "report-error-en")
