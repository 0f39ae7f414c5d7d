"""Helpers for the guidance tests: the example dossiers as data, and a one-call assessment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from evqms.guidance import ruleset
from evqms.guidance.dossier import parse_dossier, snapshot_from_data
from evqms.guidance.engine import assess

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC)


def example_data(name: str) -> dict:
    path = EXAMPLES / name
    return parse_dossier(path.read_bytes(), str(path))


def run(data: dict, ruleset_id: str = "jsrm-2024"):
    return assess(snapshot_from_data(data, "test.yaml"), ruleset.load(ruleset_id), now=NOW)


def statuses(data: dict, ruleset_id: str = "jsrm-2024") -> dict[str, str]:
    return {f.item.id: f.status for f in run(data, ruleset_id).findings}


def collected() -> dict:
    """Evidence collection after ADM-001 (2024-05-10): a pain rating with its baseline and two
    visits done inside their windows, a global impression of change (no baseline), a serious event
    investigated and reported in time, and the yearly summary issued within 12 months of 2025-06-30."""
    nrs = "nrs-pain v1"
    return {
        "adverse_events": [
            {"id": "AE-1", "administration": "ADM-001", "onset": "2024-05-12", "ctcae_grade": 3,
             "serious": True, "causality": "possible", "investigation": "Retained sample sterile; endotoxin in limit"},
        ],
        "safety_reports": [{"id": "SR-1", "adverse_event": "AE-1", "due_on": "2024-05-28", "submitted_on": "2024-05-20"}],
        "outcome_instruments": [
            {"id": nrs, "active_from": "2024-01-01"},
            {"id": "pgic v1", "baseline": False, "active_from": "2024-01-01"},
        ],
        "baselines": [{"administration": "ADM-001", "instrument": nrs, "evaluated_on": "2024-05-10"}],
        "follow_up_visits": [
            {"id": "ADM-001 M1", "administration": "ADM-001", "instrument": nrs, "month": 1,
             "window_start": "2024-05-27", "window_end": "2024-06-24", "status": "done", "evaluated_on": "2024-06-10"},
            {"id": "ADM-001 M12", "administration": "ADM-001", "instrument": nrs, "month": 12,
             "window_start": "2025-04-26", "window_end": "2025-05-24", "status": "missed", "missed_reason": "moved away"},
        ],
        "evidence_reports": [{"id": "ER-1", "year": 2024, "issued_on": "2025-02-01"}],
    }  # fmt: skip
