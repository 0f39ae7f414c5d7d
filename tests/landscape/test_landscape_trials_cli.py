"""`evqms landscape trials ingest|report|override` in-process, on the file store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from evqms.cli import main
from evqms.landscape.store import RawInput, TrialStore, parse_date
from evqms.landscape.trials import BUCKETS

# Messages are asserted in English (the Japanese catalogue is checked on its own).
pytestmark = pytest.mark.usefixtures("english_messages")


@pytest.fixture
def ctgov(fixtures_dir) -> Path:
    return fixtures_dir / "landscape" / "ctgov"


def report(capsys, *extra):
    capsys.readouterr()
    assert main(["landscape", "trials", "report", "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_ingest_then_report_reproduces_counts(store_home, ctgov, capsys):
    pages = [str(ctgov / "ev_search_page1.json"), str(ctgov / "ev_search_page2.json")]
    assert main(["landscape", "trials", "ingest", *pages, "--as-of", "2023-10-30"]) == 0
    data = report(capsys, "--as-of", "2023-10-30")
    assert data["as_of"] == "2023-10-30"
    for category in ("therapeutic", "biomarker", "unrelated"):
        assert list(data["counts"][category]) == list(BUCKETS)  # every bucket, zeros included
    assert data["counts"]["therapeutic"] == {
        "Early Phase 1": 1,
        "Phase 1": 1,
        "Phase 1/2": 1,
        "Phase 2": 0,
        "Phase 2/3": 4,
        "Phase 3": 1,
        "Phase 4": 0,
        "Not applicable": 1,
    }
    assert data["counts"]["biomarker"] == {
        **dict.fromkeys(BUCKETS, 0),
        "Phase 2": 1,
        "Phase 4": 1,
        "Not applicable": 1,
    }
    assert data["counts"]["unrelated"] == {**dict.fromkeys(BUCKETS, 0), "Phase 3": 1}
    assert data["totals"] == {"therapeutic": 9, "biomarker": 3, "unrelated": 1}
    assert [(t["phase"], t["nct_id"]) for t in data["late_phase"]] == [
        ("Phase 2/3", "NCT90000002"),
        ("Phase 2/3", "NCT90000003"),
        ("Phase 2/3", "NCT90000004"),
        ("Phase 2/3", "NCT90000005"),
        ("Phase 3", "NCT90000001"),
    ]
    assert data["late_phase"][-1]["title"].endswith("(EXTINGUISH ARDS)")
    (source,) = data["sources"]
    assert source["as_of"] == "2023-10-30" and source["source"] == "files" and source["records"] == 13
    raw = (ctgov / "ev_search_page1.json").read_bytes()
    import hashlib

    assert source["inputs"][0]["sha256"] == hashlib.sha256(raw).hexdigest()
    # the raw input is kept unchanged in the store
    stored = next((store_home / "landscape" / "trials" / "ingests").glob("*/raw/0001_ev_search_page1.json"))
    assert stored.read_bytes() == raw


def test_as_of_uses_records_as_they_were(store_home, ctgov, capsys):
    pages = [str(ctgov / "ev_search_page1.json"), str(ctgov / "ev_search_page2.json")]
    assert main(["landscape", "trials", "ingest", *pages, "--as-of", "2023-10-30"]) == 0
    assert (
        main(
            ["landscape", "trials", "ingest", str(ctgov / "ev_single_updated.json"), "--as-of", "2024-03-15"]
        )
        == 0
    )
    before = report(capsys, "--as-of", "2023-10-30")
    after = report(capsys, "--as-of", "2024-04-01")
    assert (
        before["counts"]["therapeutic"]["Phase 1/2"] == 1 and before["counts"]["therapeutic"]["Phase 2"] == 0
    )
    assert after["counts"]["therapeutic"]["Phase 1/2"] == 0 and after["counts"]["therapeutic"]["Phase 2"] == 1
    assert after["totals"]["therapeutic"] == 9 and len(after["sources"]) == 2
    empty = report(capsys, "--as-of", "2020-01-01")
    assert empty["totals"] == {"therapeutic": 0, "biomarker": 0, "unrelated": 0} and empty["sources"] == []


def test_bad_inputs_are_reported_and_the_rest_ingested(store_home, ctgov, validation_dir, capsys):
    files = [
        str(ctgov / "ev_search_page2.json"),
        str(ctgov / "malformed.json"),
        str(ctgov / "bad_studies_page.json"),
        str(validation_dir / "ctgov" / "aact_classic_full_studies_NCT04780763.json"),
    ]
    assert main(["landscape", "trials", "ingest", *files, "--as-of", "2023-10-30"]) == 1
    err = capsys.readouterr().err
    assert "malformed.json, line 2: malformed JSON" in err
    assert "bad_studies_page.json, study 3 (NCT90000022): unknown phase combination PHASE5" in err
    assert "aact_classic_full_studies_NCT04780763.json: this is the retired classic" in err
    data = report(capsys, "--as-of", "2023-10-30")
    assert sum(data["totals"].values()) == 7  # 6 good studies + the one kept without a design module


def test_only_bad_input_is_exit_2_and_stores_nothing(store_home, ctgov, capsys):
    assert main(["landscape", "trials", "ingest", str(ctgov / "malformed.json")]) == 2
    assert "evqms: error:" in capsys.readouterr().err
    assert TrialStore().ingests() == []


def test_usage_errors(store_home, ctgov, capsys):
    assert main(["landscape", "trials", "ingest"]) == 2
    assert main(["landscape", "trials", "ingest", "--online"]) == 2
    assert main(["landscape", "trials", "report", "--as-of", "30/10/2023"]) == 2
    assert "--as-of: not a date" in capsys.readouterr().err
    assert main(["landscape", "trials", "ingest", str(ctgov / "nope.json")]) == 2


def test_csv_and_text(store_home, ctgov, capsys):
    assert (
        main(["landscape", "trials", "ingest", str(ctgov / "ev_search_page1.json"), "--as-of", "2023-10-30"])
        == 0
    )
    capsys.readouterr()
    assert main(["landscape", "trials", "report", "--as-of", "2023-10-30", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 3 * (len(BUCKETS) + 1)
    assert {(r["category"], r["phase"]): int(r["count"]) for r in rows}[("therapeutic", "Phase 2/3")] == 4
    assert main(["landscape", "trials", "report", "--as-of", "2023-10-30"]) == 0
    text = capsys.readouterr().out
    assert "Phase 2/3  NCT90000002  Efficacy and Safety of EXOSOME-MSC" in text
    assert "Phase 3    NCT90000001  Extracellular Vesicle Treatment" in text
    assert "Total                        7             0             0" in text


def test_override_applies_from_its_date(store_home, ctgov, capsys):
    assert (
        main(["landscape", "trials", "ingest", str(ctgov / "ev_search_page1.json"), "--as-of", "2023-10-30"])
        == 0
    )
    assert (
        main(
            [
                "landscape",
                "trials",
                "override",
                "NCT90000007",
                "--category",
                "biomarker",
                "--who",
                "A. Sato",
                "--why",
                "eye drops of EVs measured only",
                "--when",
                "2023-11-01",
            ]
        )
        == 0
    )
    old = report(capsys, "--as-of", "2023-10-31")
    new = report(capsys, "--as-of", "2023-11-02")
    assert old["counts"]["therapeutic"]["Phase 1"] == 1 and new["counts"]["therapeutic"]["Phase 1"] == 0
    assert new["counts"]["biomarker"]["Phase 1"] == 1
    (row,) = [t for t in new["trials"] if t["nct_id"] == "NCT90000007"]
    assert row["override"]["who"] == "A. Sato" and "rule said therapeutic" in row["reason"]
    assert (
        main(
            ["landscape", "trials", "override", "NCT1", "--category", "biomarker", "--who", "x", "--why", "y"]
        )
        == 2
    )


def test_store_write_is_atomic(tmp_path):
    store = TrialStore(tmp_path)
    with pytest.raises(TypeError):
        store.add_ingest(
            as_of=parse_date("2023-10-30"),
            source="files",
            query=None,
            raw_inputs=[RawInput("a.json", b"{}")],
            trials=[{"nct_id": "NCT00000001", "bad": object()}],
            problems=[],
        )
    assert store.ingests() == [] and list((tmp_path / "ingests").iterdir()) == []
