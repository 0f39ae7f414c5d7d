"""ClinicalTrials.gov v2 records: normalisation, phase buckets, bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evqms.errors import InputError
from evqms.landscape.trials import BUCKETS, RecordError, latest_versions, load_studies, phase_bucket

# Messages are asserted in English (the Japanese catalogue is checked on its own).
pytestmark = pytest.mark.usefixtures("english_messages")

# The real records (AACT fixtures): bucket, status, type, version date, enrolment, countries.
REAL = {
    "aact_NCT00973089.json": ("Not applicable", "WITHDRAWN", "INTERVENTIONAL", "2024-01-22", 0, ["Israel"]),
    "aact_NCT03475563.json": ("Not applicable", "UNKNOWN", "OBSERVATIONAL", "2024-01-03", 100, ["Spain"]),
    "aact_NCT04207047.json": (
        "Not applicable",
        "UNKNOWN",
        "INTERVENTIONAL",
        "2023-11-28",
        3,
        ["United States"],
    ),
    "aact_NCT03418623.json": ("Phase 2", "COMPLETED", "INTERVENTIONAL", "2023-12-07", 24, ["United States"]),
    "aact_NCT06171568.json": (
        "Not applicable",
        "NOT_YET_RECRUITING",
        "OBSERVATIONAL",
        "2023-12-14",
        400,
        ["France"],
    ),
    "aact_NCT02210780.json": ("Phase 2", "COMPLETED", "INTERVENTIONAL", "2023-11-15", 194, ["United States"]),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_v2_records_normalise(validation_dir, name):
    loaded = load_studies((validation_dir / "ctgov" / name).read_bytes(), name)
    assert loaded.problems == []
    (trial,) = loaded.trials
    bucket, status, study_type, version, enrolment, countries = REAL[name]
    assert trial["nct_id"] == name[5:16]
    assert trial["phase_bucket"] == bucket
    assert trial["overall_status"] == status
    assert trial["study_type"] == study_type
    assert trial["version_date"] == version
    assert trial["enrollment"] == enrolment
    assert trial["countries"] == countries


def test_real_record_details(validation_dir):
    raw = (validation_dir / "ctgov" / "aact_NCT04207047.json").read_bytes()
    (trial,) = load_studies(raw, "x").trials
    assert [i["name"] for i in trial["interventions"]][:2] == ["Genius", "eC02"]
    assert {i["type"] for i in trial["interventions"]} == {"DEVICE"}
    assert trial["sponsor"] == "LUTRONIC Corporation"
    assert trial["phases"] == ["NA"]
    assert trial["start_date"] == "2018-10-02"
    (obs,) = load_studies((validation_dir / "ctgov" / "aact_NCT03475563.json").read_bytes(), "y").trials
    assert obs["last_known_status"] == "RECRUITING" and obs["phases"] == [] and obs["acronym"] == "BIOSS"


@pytest.mark.parametrize(
    "name", ["aact_classic_full_studies_NCT04780763.json", "aact_classic_study_fields_ctg_api_all.json"]
)
def test_classic_api_is_rejected_clearly(validation_dir, name):
    with pytest.raises(InputError) as info:
        load_studies((validation_dir / "ctgov" / name).read_bytes(), name)
    assert "classic" in str(info.value) and name in str(info.value) and "v2" in str(info.value)


@pytest.mark.parametrize(
    ("phases", "study_type", "bucket"),
    [
        (["EARLY_PHASE1"], "INTERVENTIONAL", "Early Phase 1"),
        (["PHASE1"], "INTERVENTIONAL", "Phase 1"),
        (["PHASE1", "PHASE2"], "INTERVENTIONAL", "Phase 1/2"),
        (["PHASE2", "PHASE1"], "INTERVENTIONAL", "Phase 1/2"),
        (["PHASE2"], "INTERVENTIONAL", "Phase 2"),
        (["PHASE2", "PHASE3"], "INTERVENTIONAL", "Phase 2/3"),
        (["PHASE3"], "INTERVENTIONAL", "Phase 3"),
        (["PHASE4"], "INTERVENTIONAL", "Phase 4"),
        (["NA"], "INTERVENTIONAL", "Not applicable"),
        ([], "OBSERVATIONAL", "Not applicable"),
        (None, "OBSERVATIONAL", "Not applicable"),
    ],
)
def test_phase_buckets(phases, study_type, bucket):
    assert phase_bucket(phases, study_type) == bucket


@pytest.mark.parametrize("phases", [["PHASE5"], ["PHASE1", "PHASE3"], ["PHASE3", "PHASE4"]])
def test_impossible_phases_are_errors(phases):
    with pytest.raises(RecordError, match="unknown phase"):
        phase_bucket(phases)


@given(st.sampled_from(sorted(["EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"])), st.booleans())
def test_bucket_is_one_of_the_seed_buckets_whatever_the_case(phase, lower):
    value = phase.lower() if lower else phase
    assert phase_bucket([value]) in BUCKETS


def test_every_bucket_from_synthetic_pages(fixtures_dir):
    folder = fixtures_dir / "landscape" / "ctgov"
    trials = []
    for name in ("ev_search_page1.json", "ev_search_page2.json"):
        loaded = load_studies((folder / name).read_bytes(), name)
        assert loaded.problems == []
        trials += loaded.trials
    first = load_studies((folder / "ev_search_page1.json").read_bytes(), "p1")
    assert (first.total_count, first.next_page_token) == (13, "NF0g5JGEkvg")
    buckets = [t["phase_bucket"] for t in trials]
    assert {b: buckets.count(b) for b in BUCKETS} == {
        "Early Phase 1": 1,
        "Phase 1": 1,
        "Phase 1/2": 1,
        "Phase 2": 1,
        "Phase 2/3": 4,
        "Phase 3": 2,
        "Phase 4": 1,
        "Not applicable": 2,
    }


def test_bad_records_are_named_and_skipped_others_kept(fixtures_dir):
    name = "bad_studies_page.json"
    loaded = load_studies((fixtures_dir / "landscape" / "ctgov" / name).read_bytes(), name)
    assert [t["nct_id"] for t in loaded.trials] == ["NCT90000021"]
    messages = [str(p) for p in loaded.problems]
    assert messages[0] == f'{name}, study 1: missing module "protocolSection"'
    assert messages[1] == f'{name}, study 2 (NCT90000021): missing module "designModule"'
    assert not loaded.problems[1].skipped
    assert "study 3 (NCT90000022): unknown phase combination PHASE5" in messages[2]
    assert 'study 4 (NCT123): missing or malformed "nctId"' in messages[3]


def test_malformed_json_names_file_and_line(fixtures_dir):
    with pytest.raises(InputError) as info:
        load_studies((fixtures_dir / "landscape" / "ctgov" / "malformed.json").read_bytes(), "malformed.json")
    assert str(info.value).startswith("malformed.json, line 2: malformed JSON at character 72")


def test_not_a_study():
    with pytest.raises(InputError, match="not a ClinicalTrials.gov API v2 study"):
        load_studies(json.dumps({"hello": 1}).encode(), "x.json")


def test_latest_version_wins():
    a = {"nct_id": "NCT00000001", "version_date": "2023-01-01", "v": 1}
    b = {"nct_id": "NCT00000001", "version_date": "2024-01-01", "v": 2}
    assert latest_versions([b, a]) == [b] and latest_versions([a, b]) == [b]
