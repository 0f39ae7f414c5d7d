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


def add_quality_records(d: dict) -> dict:
    """The full-compliance example (as of 2025-06-30, `d`) with the rooms, days, operators and
    instruments of L-001's steps and tests, and the quality records behind them, all in order."""
    d["processes"][0]["steps"][2]["aseptic"] = True  # the fill
    d["lots"][0]["step_records"] = [
        {"step": "culture", "parameters": {"passage": 4, "conditioning_hours": 48}, "operator": "op1",
         "room": "CR-C01", "started_on": "2024-03-30", "finished_on": "2024-03-31", "instruments": ["INC-01"]},
        {"step": "purification", "parameters": {"tff_pressure": 1.0}, "operator": "op1",
         "room": "CR-B01", "started_on": "2024-04-01", "finished_on": "2024-04-01", "instruments": ["BSC-01"]},
        {"step": "fill", "operator": "op1", "room": "CR-B01", "started_on": "2024-04-01",
         "instruments": ["BSC-01"]},
    ]  # fmt: skip
    d["lots"][0]["qc_results"][0]["instrument"] = "NTA-01"  # SIZE, tested 2024-04-05
    d["deviations"] = [
        {"id": "DEV-EM-1", "lot": "L-001", "description": "settle plate at action level", "status": "closed",
         "approved": True, "opened_on": "2024-04-02"},
    ]  # fmt: skip
    d["quality_records"] = {
        "em_samples": [
            {"id": "EM-1", "room": "CR-C01", "point": "C01-SP01", "method": "settle_plate",
             "due_on": "2024-03-30", "sampled_on": "2024-03-30", "status": "taken", "verdict": "pass"},
            {"id": "EM-2", "room": "CR-C01", "point": "C01-SP01", "method": "settle_plate",
             "due_on": "2024-03-31", "sampled_on": "2024-03-31", "status": "taken", "verdict": "alert"},
            {"id": "EM-3", "room": "CR-B01", "point": "B01-SP01", "method": "particles_0_5",
             "due_on": "2024-04-01", "sampled_on": "2024-04-01", "status": "taken", "verdict": "pass"},
            {"id": "EM-4", "room": "CR-B01", "point": "B01-SP01", "method": "settle_plate",
             "due_on": "2024-04-01", "sampled_on": "2024-04-01", "status": "taken", "verdict": "action",
             "deviation": "DEV-EM-1", "deviation_status": "closed"},
            # another room, another day: not the lot's
            {"id": "EM-9", "room": "CR-Z09", "due_on": "2024-04-01", "status": "missed"},
        ],
        "media_fills": [
            {"media_fill": "MF-1", "operator": "op1", "performed_on": "2024-01-10", "result": "pass",
             "expires_on": "2024-07-10"},
        ],
        "instruments": [
            {"id": "INC-01", "calibrations": [{"performed_on": "2024-01-01", "next_due": "2025-01-01"}]},
            # due on the day of use: still in calibration (past the due date is what lapses)
            {"id": "BSC-01", "calibrations": [{"performed_on": "2023-10-01", "next_due": "2024-04-01"}]},
            {"id": "NTA-01", "calibrations": [{"performed_on": "2024-02-01", "next_due": "2024-08-01"}]},
        ],
        "capas": [
            {"id": "CAPA-1", "deviations": ["DEV-EM-1"], "status": "open", "due_on": "2025-07-15"},
        ],
    }  # fmt: skip
    return d
