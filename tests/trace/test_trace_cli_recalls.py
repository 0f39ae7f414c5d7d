"""`evqms trace recalls [--open]` and `evqms trace recall-show RC-...`: read only, in English and
Japanese, local times with their zone; `evqms trace --lot` still traces. Lineage: tests/trace/conftest.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from evqms.cli import main
from evqms.inventory import services as inventory
from evqms.testing import factories as f
from evqms.trace import services

# 23:30 UTC on 5 Dec is 08:30 JST on 6 Dec: the local day and zone must show.
SHIPPED_AT = dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)


@pytest.fixture
def recalls(lineage, rf_request, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")  # main() writes --lang into the environment; restored after
    qa = f.user("cli-qa", "qa_reviewer")
    op = lineage.operator
    inventory.create_consignee(actor=op, code="CL-1", name="Clinic One", address="Kyoto", contact_name="Dr S")
    inventory.create_aliquots(actor=op, lot=lineage.lots["L1"], count=3, volume_ml="1.0")
    inventory.ship_aliquots(actor=op, aliquots=["L1-A004"], consignee="CL-1", shipped_at=SHIPPED_AT)
    services.recall_lot(
        request=rf_request, actor=qa, lot="L1", reason="Endotoxin OOS", password=qa.raw_password
    )
    services.recall_lot(request=rf_request, actor=qa, lot="L3", reason="Mycoplasma", password=qa.raw_password)
    services.close_recall(
        request=rf_request, actor=qa, recall="RC-00002", reason="none shipped", password=qa.raw_password
    )
    services.destroy_held_units(
        request=rf_request,
        actor=qa,
        source="RC-00001",
        aliquots=["L1-A005"],
        reason="Autoclaved",
        password=qa.raw_password,
    )
    return qa


def test_recalls_lists_open_ones_in_text_and_json(recalls, capsys):
    assert main(["trace", "recalls", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["number"], r["status"], r["open_units"]) for r in rows] == [
        ("RC-00002", "closed", 0),
        ("RC-00001", "open", 1),
    ]
    assert rows[1]["initiated_at"].endswith("+09:00")
    assert main(["trace", "recalls", "--open", "--format", "json"]) == 0
    assert [r["number"] for r in json.loads(capsys.readouterr().out)] == ["RC-00001"]
    assert main(["--lang", "en", "trace", "recalls", "--open"]) == 0
    out = capsys.readouterr().out
    assert "RC-00001  lot L1  [Open]" in out and "RC-00002" not in out
    assert "shipped units 1, still open 1" in out and " JST" in out
    assert main(["--lang", "ja", "trace", "recalls"]) == 0
    out = capsys.readouterr().out
    assert "[未完了]" in out, out  # the status in the reader's language
    assert "出荷ユニット 1" in out and " JST" in out


def test_recall_show_in_text_json_and_japanese(recalls, capsys):
    assert main(["--lang", "en", "trace", "recall-show", "RC-00001"]) == 0
    out = capsys.readouterr().out
    assert "Recall RC-00001 of lot L1 [Open]" in out
    assert (
        "Shipped units still open (1)" in out
        and "L1-A004  SH-00001  Clinic One (CL-1)  2026-12-06 08:30 JST" in out
    )
    assert "Units in stock on hold (1)" in out and "L1-A006" in out
    assert "Destroyed in-house (1)" in out and "L1-A005" in out and "Autoclaved" in out
    assert main(["trace", "recall-show", "RC-00001", "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert [d["aliquot"] for d in record["destroyed"]] == ["L1-A005"]
    assert record["open"][0]["shipped_at"] == "2026-12-06T08:30:00+09:00"
    assert main(["--lang", "ja", "trace", "recall-show", "RC-00002"]) == 0
    out = capsys.readouterr().out
    assert "回収 RC-00002" in out and "none shipped" in out
    assert main(["--lang", "en", "trace", "recall-show", "RC-09999"]) == 2
    assert "RC-09999" in capsys.readouterr().err


def test_trace_still_needs_what_to_trace(recalls, capsys):
    assert main(["--lang", "en", "trace"]) == 2
    assert "recalls, recall-show" in capsys.readouterr().err
    assert main(["trace", "--lot", "L1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["start"] == "L1"
