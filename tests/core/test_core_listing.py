"""The list piece (evqms.core.listing): sorting by a whitelisted column, a bad sort key, and the CSV
and Excel exports (headers in the page's language, times in the facility's zone with the zone in
the header, formula injection, the byte-order mark, all rows rather than a page)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.test import RequestFactory, override_settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr, time_value

LIST = Listing(
    "samples",
    (
        Column("code", _("Lot number"), attr("code"), "code"),
        Column("made", _("Manufactured on"), time_value("made"), "made"),
        Column("amount", _("Volume"), attr("amount"), "amount"),
        Column("note", _("Notes"), attr("note")),
        Column("secret", _("Patient"), attr("secret"), show=lambda user: getattr(user, "sees", False)),
    ),
)

UTC = dt.UTC
ROWS = [
    # 2026-12-05 16:30 UTC is 2026-12-06 01:30 in Tokyo (+9): the export must show the Tokyo day
    {
        "code": "B-2",
        "made": dt.datetime(2026, 12, 5, 16, 30, tzinfo=UTC),
        "amount": Decimal("1E+9"),
        "note": '=HYPERLINK("http://x")',
        "secret": "P-1",
    },
    {
        "code": "A-1",
        "made": dt.datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
        "amount": Decimal("0.50"),
        "note": "-3.2",
        "secret": "P-2",
    },
    {"code": "C-3", "made": None, "amount": None, "note": "@SUM(A1)\x07", "secret": "P-3"},
]


class _User:
    sees = False


def _request(query: str = "", user=None):
    request = RequestFactory().get("/samples/" + query)
    request.user = user or _User()
    return request


def _csv(response) -> tuple[bytes, list[list[str]]]:
    raw = b"".join(response.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_sort_by_a_column_ascending_and_descending_empty_last():
    table = LIST.table(_request("?sort=code"), list(ROWS))
    assert [r["code"] for r in table.rows] == ["A-1", "B-2", "C-3"]
    table = LIST.table(_request("?sort=-made"), list(ROWS))
    assert [r["code"] for r in table.rows] == ["B-2", "A-1", "C-3"]  # no time: last either way
    table = LIST.table(_request("?sort=made"), list(ROWS))
    assert [r["code"] for r in table.rows] == ["A-1", "B-2", "C-3"]


def test_headers_carry_aria_sort_an_arrow_and_the_next_order():
    table = LIST.table(_request("?sort=code&page=3&q=x"), list(ROWS))
    head = {h["key"]: h for h in table.headers}
    assert head["code"]["aria_sort"] == "ascending" and head["code"]["arrow"] == "▲"
    assert "sort=-code" in head["code"]["url"] and "q=x" in head["code"]["url"]
    assert "page=" not in head["code"]["url"]  # a new order starts on the first page
    assert head["made"]["aria_sort"] == "" and "sort=made" in head["made"]["url"]
    table = LIST.table(_request("?sort=-code"), list(ROWS))
    head = {h["key"]: h for h in table.headers}
    assert head["code"]["aria_sort"] == "descending" and head["code"]["arrow"] == "▼"
    assert "secret" not in head  # a column the user may not read is not there


@pytest.mark.parametrize("bad", ["nope", "-nope", "secret", "x" * 500, "code\x00"])
def test_an_unknown_sort_key_is_ignored_with_a_notice_and_refused_by_an_export(bad):
    table = LIST.table(_request("?" + "sort=" + bad.replace("\x00", "%00")), list(ROWS))
    assert [r["code"] for r in table.rows] == ["B-2", "A-1", "C-3"]  # the usual order
    assert "cannot be sorted by" in table.notice
    assert len(table.notice) < 200
    export = LIST.table(_request("?format=csv&sort=" + bad.replace("\x00", "%00")), list(ROWS)).export()
    assert export.status_code == 400
    assert "cannot be sorted by" in export.content.decode()


def test_an_unknown_export_format_is_refused():
    response = LIST.table(_request("?format=pdf"), list(ROWS)).export()
    assert response.status_code == 400 and "csv or xlsx" in response.content.decode()


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_csv_has_a_bom_local_times_zone_in_header_and_no_formula():
    response = LIST.table(_request("?format=csv&sort=code"), list(ROWS)).export()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="samples-')
    assert response["Content-Disposition"].endswith('.csv"')
    raw, rows = _csv(response)
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the Japanese as UTF-8 only with the BOM
    assert rows[0] == ["Lot number", "Manufactured on (Asia/Tokyo)", "Volume", "Notes"]
    assert len(rows) == 4
    a1, b2, c3 = rows[1], rows[2], rows[3]
    assert b2[1] == "2026-12-06 01:30:00"  # 16:30 UTC + 9 h, on the next day in Tokyo
    assert a1[1] == "2026-01-01 09:00:00"
    assert b2[2] == "1 × 10⁹" and a1[2] == "0.5"  # as core.display writes them
    assert b2[3] == '\'=HYPERLINK("http://x")'  # neutralised
    assert a1[3] == "-3.2"  # a plain number stays a number
    assert c3[3].startswith("'@SUM") and c3[1] == "" and c3[2] == ""


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_csv_headers_follow_the_page_language():
    with translation.override("ja"):
        response = LIST.table(_request("?format=csv"), list(ROWS)).export()
        _raw, rows = _csv(response)
    assert rows[0][0] == "ロット番号"
    assert rows[0][1] == "製造日（Asia/Tokyo）" or rows[0][1].endswith("Asia/Tokyo）")


def test_a_role_sees_the_column_in_the_export_only_when_the_page_shows_it():
    viewer = _User()
    viewer.sees = True
    _raw, rows = _csv(LIST.table(_request("?format=csv", viewer), list(ROWS)).export())
    assert rows[0][-1] == "Patient" and rows[1][-1] == "P-1"
    _raw, rows = _csv(LIST.table(_request("?format=csv"), list(ROWS)).export())
    assert "Patient" not in rows[0] and "P-1" not in sum(rows, [])


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_xlsx_keeps_types_text_as_text_and_drops_control_characters():
    openpyxl = pytest.importorskip("openpyxl")
    with translation.override("ja"):
        response = LIST.table(_request("?format=xlsx&sort=-code"), list(ROWS)).export()
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "ロット番号" and "Asia/Tokyo" in rows[0][1]
    assert [r[0] for r in rows[1:]] == ["C-3", "B-2", "A-1"]
    assert rows[2][1] == dt.datetime(2026, 12, 6, 1, 30)  # a real date-time cell, Tokyo time
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            assert cell.data_type != "f"  # no formula anywhere
    assert rows[2][3] == '=HYPERLINK("http://x")'  # stored as text, exactly as typed
    assert rows[1][3] == "@SUM(A1)"  # the BEL character a workbook cannot hold is dropped


def test_an_unsortable_list_offers_no_sort_and_refuses_one():
    tree = Listing("tree", LIST.columns, sortable=False)
    table = tree.table(_request("?sort=code"), list(ROWS))
    assert [r["code"] for r in table.rows] == ["B-2", "A-1", "C-3"]  # the order it was given
    assert table.notice and all(h["url"] == "" for h in table.headers)
    assert tree.table(_request("?sort=code&format=csv"), list(ROWS)).export().status_code == 400
    assert tree.table(_request("?format=csv"), list(ROWS)).export().status_code == 200


def test_a_second_list_on_a_page_reads_its_own_prefixed_parameters():
    second = Listing("holds", LIST.columns, prefix="holds-")
    query = "?sort=-code&holds-sort=code&format=csv"
    first, other = LIST.table(_request(query), list(ROWS)), second.table(_request(query), list(ROWS))
    assert [r["code"] for r in first.rows] == ["C-3", "B-2", "A-1"]
    assert [r["code"] for r in other.rows] == ["A-1", "B-2", "C-3"]
    assert first.export_format == "csv" and other.export_format == ""
    link = QueryDict(other.csv_url[1:])
    assert link["holds-format"] == "csv" and "format" not in link  # never the first list's export too
    header = QueryDict(other.headers[0]["url"][1:])
    assert header["holds-sort"] == "-code" and header["sort"] == "-code"  # the first list keeps its order
