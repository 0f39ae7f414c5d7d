"""The evidence-collection rule set, item by item, as mutations: one fact of a complete record
changed flips exactly the item that rests on it, in this rule set and in the JSRM one, and
nothing else."""

from __future__ import annotations

import pytest
from guidance_helpers import collected, example_data, run, statuses

from evqms.guidance import ruleset


def complete() -> dict:
    d = example_data("full-compliance.yaml")
    d.update(collected())
    return d


def all_statuses(d: dict) -> dict[str, str]:
    return {**statuses(d, "evidence-collection"), **statuses(d, "jsrm-2024")}


def test_the_rule_set_loads_bilingual_and_cites_its_sources():
    rs = ruleset.load("evidence-collection")
    assert [i.id for i in rs.items] == ["EVC-1", "EVC-2", "EVC-3", "EVC-4"]
    for item in rs.items:
        assert item.text["en"] and item.text["ja"] and item.source
    # the reporting periods rest on the Enforcement Regulation's article on reports of illnesses
    evc3 = next(i for i in rs.items if i.id == "EVC-3")
    assert "Art. 35" in evc3.source and "Ordinance No. 110 of 2014" in evc3.source
    assert "第35条" in evc3.interpretation["ja"]


def test_a_complete_record_meets_every_item():
    found = statuses(complete(), "evidence-collection")
    assert found == {"EVC-1": "met", "EVC-2": "met", "EVC-3": "met", "EVC-4": "met"}


def _drop_baseline(d):
    d["baselines"] = []


def _late_visit(d):
    d["follow_up_visits"][0]["evaluated_on"] = "2024-06-25"  # window closed 2024-06-24


def _open_overdue_visit(d):
    d["follow_up_visits"][1].update(status="scheduled", missed_reason="")  # window closed 2025-05-24


def _late_report(d):
    d["safety_reports"][0]["submitted_on"] = "2024-05-29"  # due 2024-05-28


def _unsubmitted_overdue_report(d):
    del d["safety_reports"][0]["submitted_on"]


def _old_summary(d):
    d["evidence_reports"][0]["issued_on"] = "2024-06-29"  # as of 2025-06-30: 12 months and a day


def _pgic_needs_baseline(d):
    d["outcome_instruments"][1]["baseline"] = True


def _no_investigation(d):
    d["adverse_events"][0]["investigation"] = ""


@pytest.mark.parametrize(
    ("change", "item", "after"),
    [
        (_drop_baseline, "EVC-1", "not_met"),
        (_pgic_needs_baseline, "EVC-1", "not_met"),
        (_late_visit, "EVC-2", "partly_met"),
        (_open_overdue_visit, "EVC-2", "partly_met"),
        (_late_report, "EVC-3", "not_met"),
        (_unsubmitted_overdue_report, "EVC-3", "not_met"),
        (_old_summary, "EVC-4", "not_met"),
        (_no_investigation, "JSRM-1-R2", "partly_met"),
    ],
)
def test_one_fact_flips_exactly_its_item(change, item, after):
    d = complete()
    before = all_statuses(d)
    change(d)
    now = all_statuses(d)
    flipped = {k: (before[k], now[k]) for k in before if before[k] != now[k]}
    assert flipped == {item: (before[item], after)}


def test_findings_cite_the_failing_records():
    d = complete()
    _late_report(d)
    _drop_baseline(d)
    findings = {f.item.id: f for f in run(d, "evidence-collection").findings}
    assert "administration ADM-001" in findings["EVC-1"].evidence
    assert findings["EVC-3"].evidence == ["adverse event AE-1", "safety report SR-1"]
    assert any("1 days late" in r["en"] for r in findings["EVC-3"].reasons)


def test_completeness_is_a_fraction_of_the_expected_visits():
    d = complete()
    # a third visit whose window is still open (as of 2025-06-30) is not expected yet
    d["follow_up_visits"].append(
        {"id": "ADM-001 M14", "administration": "ADM-001", "instrument": "nrs-pain v1", "month": 14,
         "window_start": "2025-06-26", "window_end": "2025-07-24"}
    )  # fmt: skip
    finding = next(f for f in run(d, "evidence-collection").findings if f.item.id == "EVC-2")
    assert finding.status == "met"
    # 1 done of 2 expected (the other recorded missed), hand-counted
    assert finding.reasons[0]["en"].startswith(
        "Completeness: 1/2 expected follow-ups done (50 %), 1 recorded"
    )


def test_a_report_not_yet_due_is_open_not_late():
    d = complete()
    d["safety_reports"][0]["due_on"] = "2025-07-05"
    del d["safety_reports"][0]["submitted_on"]
    finding = next(f for f in run(d, "evidence-collection").findings if f.item.id == "EVC-3")
    assert finding.status == "met" and "is open, due 2025-07-05" in finding.reasons[0]["en"]


def test_a_pgic_alone_asks_for_no_baseline():
    d = complete()
    d["outcome_instruments"] = [d["outcome_instruments"][1]]  # pgic only
    d["baselines"] = []
    assert statuses(d, "evidence-collection")["EVC-1"] == "not_applicable"
