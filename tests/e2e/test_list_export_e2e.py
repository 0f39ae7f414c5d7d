"""In a real browser: the lot list filtered by status, sorted by a column header, then exported as CSV
and as Excel (downloaded files checked), in Japanese and in English."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from evqms.testing import factories as f


@pytest.mark.django_db(transaction=True)
def test_filter_sort_and_export_the_lot_list(page, live_server, make_user, login, shot):
    import openpyxl

    auditor = make_user("aud-lists", "auditor")
    for n, day in ((1, 3), (2, 1), (3, 2)):
        f.lot(f"UCEV-LX-0{n}", status="released", manufactured_on=dt.date(2026, 1, day))
    f.lot("UCEV-LX-09", status="in_process")

    login(page, auditor)
    page.goto(f"{live_server.url}/lots/")
    page.select_option("#f-status", "released")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    with page.expect_navigation():
        page.locator("th[data-column=manufactured_on] a").click()
    assert page.locator("th[data-column=manufactured_on]").get_attribute("aria-sort") == "ascending"
    rows = page.locator("table.lots tbody tr td:first-child").all_inner_texts()
    assert rows == ["UCEV-LX-02", "UCEV-LX-03", "UCEV-LX-01"]
    shot(page, "lists-01-lots-sorted-ja")

    with page.expect_download() as got:
        page.locator("a.export-csv").click()
    download = got.value
    assert download.suggested_filename.startswith("lots-") and download.suggested_filename.endswith(".csv")
    text = open(download.path(), encoding="utf-8-sig").read()
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "ロット番号"
    assert [r[0] for r in table[1:]] == ["UCEV-LX-02", "UCEV-LX-03", "UCEV-LX-01"]  # the filter and order

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    with page.expect_navigation():
        page.locator("th[data-column=manufactured_on] a").click()  # now descending
    assert page.locator("th[data-column=manufactured_on]").get_attribute("aria-sort") == "descending"
    shot(page, "lists-02-lots-sorted-desc-en")
    with page.expect_download() as got:
        page.locator("a.export-xlsx").click()
    download = got.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Lot number"
    assert [r[0] for r in values[1:]] == ["UCEV-LX-01", "UCEV-LX-03", "UCEV-LX-02"]
