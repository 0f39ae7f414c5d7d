"""compliance.overview: what the page shows of the findings, and the evidence records changed between
two snapshots, found alike from the records and from their fingerprints (hand-listed expectations)."""

from __future__ import annotations

from evqms.compliance import overview
from evqms.guidance.report import REASONS_SHOWN

OLD = {
    "as_of": "2026-11-01",
    "lots": [{"id": "L-1", "volume_ml": 1.0}, {"id": "L-2", "volume_ml": 2.0}],
    "dossier": {"name": "UC-MSC sEV"},
    "studies": {"potency_assays": [{"id": "P-1", "ec50": 3}]},
}
NEW = {
    "as_of": "2026-12-01",  # a new date is not a changed record
    "lots": [{"id": "L-1", "volume_ml": 1.5}, {"id": "L-3", "volume_ml": 3.0}],
    "dossier": {"name": "UC-MSC sEV"},
    "studies": {"potency_assays": [{"ec50": 3, "id": "P-1"}], "stability": [{"id": "S-1"}]},
    "risk_register": {"version": 1},
}
EXPECTED = (
    ("lots", "L-1", "changed"),
    ("lots", "L-2", "removed"),
    ("lots", "L-3", "added"),
    ("risk_register", "", "added"),
    ("studies", "stability/S-1", "added"),
)


def test_changed_records_from_the_records_themselves():
    assert overview.changed_between(OLD, NEW) == EXPECTED


def test_changed_records_from_their_fingerprints_alone():
    """Keys in another order (PostgreSQL's jsonb keeps no order) are the same record."""
    assert overview.changed(overview.record_fingerprints(OLD), overview.record_fingerprints(NEW)) == EXPECTED
    assert overview.changed(overview.record_fingerprints(NEW), overview.record_fingerprints(NEW)) == ()


def test_fingerprints_are_short_and_per_record():
    prints = overview.record_fingerprints(NEW)
    assert set(prints) == {"lots", "dossier", "studies", "risk_register"}
    assert set(prints["lots"]) == {"L-1", "L-3"}
    assert all(len(p) == 16 for rows in prints.values() for p in rows.values())
    assert prints["lots"]["L-1"] != prints["lots"]["L-3"]


def test_shown_cuts_each_list_to_the_page_and_counts_it():
    many = REASONS_SHOWN + 3
    findings = {
        "items": [
            {
                "id": "JSRM-1",
                "status": "not_met",
                "reasons": [{"en": f"r{k}"} for k in range(many)],
                "evidence": ["lot L-1"],
                "next_steps": [],
            }
        ],
        "summary": {"by_status": {"not_met": 1}},
        "ruleset": {"id": "jsrm-2024"},
    }
    [item] = overview.shown(findings)["items"]
    assert [r["en"] for r in item["reasons"]] == [f"r{k}" for k in range(REASONS_SHOWN)]
    assert (item["reasons_total"], item["evidence_total"], item["next_steps_total"]) == (many, 1, 0)
    assert item["id"] == "JSRM-1" and item["status"] == "not_met"
    assert overview.shown(findings)["summary"] == {"by_status": {"not_met": 1}}
