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
