"""JSRM-2-R1 and 2-R2 from the quality records of a dossier file, as mutations: one fact of a
complete record changed (an EM action result left open, a media fill lapsed before a step, a
calibration expired before a use, a CAPA overdue) flips exactly the item that rests on it, and a
file without the records is judged as before."""

from __future__ import annotations

import copy

import pytest
from guidance_helpers import add_quality_records, example_data, run, statuses

from evqms.guidance.checks import REGISTRY, CheckContext
from evqms.guidance.dossier import snapshot_from_data


def with_records() -> dict:
    return add_quality_records(example_data("full-compliance.yaml"))


def _em_action_open(d):
    d["quality_records"]["em_samples"][3]["deviation_status"] = "open"


def _em_day_missing(d):
    del d["quality_records"]["em_samples"][1]  # nothing in CR-C01 on 2024-03-31


def _em_sample_missed(d):
    d["quality_records"]["em_samples"][2].update(status="missed", sampled_on=None, verdict="")
    d["quality_records"]["em_samples"][2].pop("sampled_on")
    d["quality_records"]["em_samples"][2].pop("verdict")


def _media_fill_lapsed(d):
    d["quality_records"]["media_fills"][0]["expires_on"] = "2024-04-01"  # the fill's day


def _media_fill_failed(d):
    d["quality_records"]["media_fills"][0]["result"] = "fail"


def _calibration_expired(d):
    d["quality_records"]["instruments"][2]["calibrations"][0]["next_due"] = "2024-04-04"  # used 04-05


def _capa_overdue(d):
    d["quality_records"]["capas"][0]["due_on"] = "2025-06-29"  # as of 2025-06-30


def _deviation_open(d):
    d["deviations"][0]["status"] = "open"


def test_records_in_order_are_judged_as_the_documents_were():
    plain = statuses(example_data("full-compliance.yaml"))
    assert statuses(with_records()) == plain
    assert plain["JSRM-2-R1"] == "met" and plain["JSRM-2-R2"] == "met"


def test_the_checks_run_on_the_records_when_present():
    findings = {f.item.id: f for f in run(with_records()).findings}
    checks = {c["name"]: c["status"] for i in ("JSRM-2-R1", "JSRM-2-R2") for c in findings[i].checks}
    assert checks["environment_within_limits"] == "met"
    assert checks["aseptic_operators_qualified"] == "met"
    assert checks["instruments_calibrated"] == "met"
    assert checks["deviations_closed_capa_in_time"] == "met"
    r1, r2 = findings["JSRM-2-R1"], findings["JSRM-2-R2"]
    # 3 room-days (CR-C01 03-30 and 03-31, CR-B01 04-01), 4 samples, 1 action-level handled
    assert any(
        r["en"].startswith("Environmental monitoring covers the 3 room-days") and "(4 samples)" in r["en"]
        for r in r1.reasons
    )
    assert {"EM sample EM-4", "deviation DEV-EM-1", "media fill MF-1"} <= set(r1.evidence)
    assert {"calibration NTA-01 2024-02-01", "calibration BSC-01 2023-10-01", "CAPA CAPA-1"} <= set(
        r2.evidence
    )
    assert all(r["ja"] != r["en"] for r in r1.reasons + r2.reasons)


def test_a_file_without_records_says_so():
    finding = next(f for f in run(example_data("full-compliance.yaml")).findings if f.item.id == "JSRM-2-R1")
    assert any(
        r["en"].startswith("The evidence carries no quality records (environmental monitoring)")
        and "品質記録" in r["ja"]
        for r in finding.reasons
    )


@pytest.mark.parametrize(
    ("change", "item", "after", "cites"),
    [
        (_em_action_open, "JSRM-2-R1", "not_met", "EM sample EM-4"),
        (_em_day_missing, "JSRM-2-R1", "not_met", "no environmental monitoring result in room CR-C01 on 2024-03-31"),
        (_em_sample_missed, "JSRM-2-R1", "not_met", "EM sample EM-3"),
        (_media_fill_lapsed, "JSRM-2-R1", "not_met", "media fill MF-1 lapsed on 2024-04-01"),
        (_media_fill_failed, "JSRM-2-R1", "not_met", "media fill MF-1 failed"),
        (_calibration_expired, "JSRM-2-R2", "not_met", "past its calibration due date 2024-04-04"),
        (_capa_overdue, "JSRM-2-R2", "not_met", "CAPA CAPA-1 of deviation DEV-EM-1 is overdue: due on 2025-06-29"),
        (_deviation_open, "JSRM-2-R2", "not_met", "Deviation DEV-EM-1 (lot L-001) is open since 2024-04-02"),
    ],
)  # fmt: skip
def test_one_fact_flips_exactly_its_item(change, item, after, cites):
    d = with_records()
    before = statuses(d)
    changed = copy.deepcopy(d)
    change(changed)
    now = statuses(changed)
    flipped = {k: (before[k], now[k]) for k in before if before[k] != now[k]}
    assert flipped == {item: ("met", after)}
    finding = next(f for f in run(changed).findings if f.item.id == item)
    assert any(cites in r["en"] for r in finding.reasons) or cites in finding.evidence


def test_mfds_sterility_item_rests_on_the_same_monitoring():
    d = with_records()
    before = statuses(d, "mfds-2024")
    _em_action_open(d)
    now = statuses(d, "mfds-2024")
    assert {k for k in before if before[k] != now[k]} == {"MFDS-QC-6"}


def test_a_calibration_is_judged_on_the_day_of_use_not_today():
    # The NTA's calibration lapsed long before the assessment (2025-06-30) but after the test: met.
    snap = snapshot_from_data(with_records(), "t.yaml")
    ctx = CheckContext(item_id="JSRM-2-R2", as_of=snap.as_of)
    assert REGISTRY["instruments_calibrated"](snap, ctx).status == "met"
    # Never calibrated, and no registered due date: not in calibration.
    snap.quality_records.instruments[2].calibrations = []
    result = REGISTRY["instruments_calibrated"](snap, ctx)
    assert result.status == "not_met" and "no calibration on record" in result.reasons[0]["en"]
    # An instrument that needs no calibration (a timer) is not judged.
    snap.quality_records.instruments[2].needs_calibration = False
    assert REGISTRY["instruments_calibrated"](snap, ctx).status == "met"


def test_an_operator_qualified_by_a_later_run_is_not_qualified_before_it():
    d = with_records()
    d["quality_records"]["media_fills"][0]["performed_on"] = "2024-04-02"  # the day after the fill
    snap = snapshot_from_data(d, "t.yaml")
    result = REGISTRY["aseptic_operators_qualified"](snap, CheckContext("JSRM-2-R1", snap.as_of))
    assert result.status == "not_met"
    assert "no media fill on record" in result.reasons[0]["en"]
