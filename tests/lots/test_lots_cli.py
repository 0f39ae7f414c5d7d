"""`evqms lots list|show|import-qc` in-process: JSON shapes, text, exit codes."""

import json
from decimal import Decimal as D

import pytest

from evqms.cli import main

pytestmark = pytest.mark.django_db


@pytest.fixture
def lots(world, rf_request):
    from evqms.lots import services

    released = world.quarantined_lot("UCEV-T-001")
    services.release_lot(request=rf_request, actor=world.qa, lot=released, password=world.qa.raw_password)
    in_qc = world.manufacture(world.new_lot("UCEV-T-002"))
    world.test_all(in_qc, overrides={"endotoxin": (D("0.8"), "EU/mL", "")}, verify=False)
    return released, in_qc


def test_list_json_and_filters(lots, capsys):
    assert main(["lots", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["number"]: r["status"] for r in rows} == {"UCEV-T-001": "released", "UCEV-T-002": "qc"}
    t2 = next(r for r in rows if r["number"] == "UCEV-T-002")
    assert t2["open_deviations"] == 1 and t2["cell_bank"] == "MCB-001" and t2["specification_version"] == 1
    assert (
        main(["lots", "list", "--status", "released", "--product", "ucmsc-sev-oa", "--format", "json"]) == 0
    )
    assert [r["number"] for r in json.loads(capsys.readouterr().out)] == ["UCEV-T-001"]
    assert main(["lots", "list"]) == 0
    assert "UCEV-T-002" in capsys.readouterr().out


def test_show_json_is_the_whole_story(lots, capsys):
    assert main(["lots", "show", "UCEV-T-002", "--format", "json"]) == 0
    story = json.loads(capsys.readouterr().out)
    assert story["number"] == "UCEV-T-002" and story["status"] == "qc"
    endo = next(r for r in story["results"] if r["attribute"] == "endotoxin")
    assert endo["verdict"] == "fail" and endo["oos"] and endo["limits"]["upper"] == "0.5"
    assert endo["reported_value"] == "0.8000000000"
    assert story["deviations"][0]["source"] == "oos"
    assert main(["lots", "show", "UCEV-T-001", "--format", "json"]) == 0
    story = json.loads(capsys.readouterr().out)
    assert story["signatures"][0]["meaning"] == "release" and story["signatures"][0]["valid"] is True


def test_show_text(lots, capsys):
    assert main(["lots", "show", "UCEV-T-002", "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "Lot UCEV-T-002" in out and "FAIL" in out and "< 0.5 EU/mL" in out and "DEV-UCEV-T-002-01" in out


def test_unknown_lot_exit_2_one_line(db, capsys):
    assert main(["lots", "show", "NOPE-1", "--format", "json"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "NOPE-1" in err and "Traceback" not in err


def test_unknown_product_exit_2(db, capsys):
    assert main(["lots", "list", "--product", "nope"]) == 2


def test_text_reads_in_japanese_with_labels_not_codes(lots, capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")  # main() writes --lang into the environment
    assert main(["--lang", "ja", "lots", "list"]) == 0
    out = capsys.readouterr().out
    assert "出荷可" in out and "QC試験中" in out and " released " not in out and " qc " not in out
    assert main(["--lang", "ja", "lots", "show", "UCEV-T-002"]) == 0
    out = capsys.readouterr().out
    assert "不適合（OOS）" in out and "[未終了]" in out and "FAIL" not in out and "[open]" not in out
