"""`evqms analyze stability` in-process: exit codes, JSON shape, errors."""

from __future__ import annotations

import json

import pytest

from evqms.cli import main
from evqms.i18n import use_language


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the active language otherwise follows Django's setting."""
    with use_language("en"):
        yield


def run(capsys, *args):
    code = main(["analyze", "stability", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_shape(capsys, fixtures_dir):
    code, out, _ = run(capsys, fixtures_dir / "stability" / "aggregates_rising.csv", "--time", "month",
                       "--value", "aggregates_pct", "--batch", "lot", "--upper", "2.0", "--format", "json")  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    assert doc["model"] == "dics" and doc["worst_batch"] == "A2"
    assert set(doc["poolability"]) >= {"F_slopes", "p_slopes", "F_intercepts", "p_intercepts"}
    assert set(doc["shelf_life_by_model"]) == {"cics", "dics", "dids_pooled_mse", "dids_individual"}
    assert doc["shelf_life"] == doc["shelf_life_by_model"]["dics"]


def test_batches_subset_and_text(capsys, fixtures_dir):
    code, out, _ = run(capsys, fixtures_dir / "stability" / "potency_synthetic.csv", "--time", "month",
                       "--value", "potency_pct", "--batch", "lot", "--lower", "95", "--batches", "L1,L3")  # fmt: skip
    assert code == 0
    assert "model: cics" in out and "L2" not in out


def test_null_shelf_life_is_json_null(capsys, fixtures_dir):
    code, out, _ = run(capsys, fixtures_dir / "stability" / "potency_stable.csv", "--time", "month", "--value",
                       "potency_pct", "--batch", "lot", "--lower", "95", "--format", "json")  # fmt: skip
    doc = json.loads(out)
    assert code == 0 and doc["shelf_life"] is None and doc["warnings"]


def test_outside_at_time_zero_exits_1(capsys, fixtures_dir):
    code, out, _ = run(capsys, fixtures_dir / "stability" / "potency_synthetic.csv", "--time", "month",
                       "--value", "potency_pct", "--batch", "lot", "--lower", "100.5")  # fmt: skip
    assert code == 1


def test_bad_input_exit_2(capsys, fixtures_dir):
    path = fixtures_dir / "stability" / "bad_two_timepoints.csv"
    code, out, err = run(
        capsys, path, "--time", "month", "--value", "potency_pct", "--batch", "lot", "--lower", "95"
    )
    assert code == 2 and out == "" and "line 5" in err
    code, _, err = run(capsys, path, "--time", "month", "--value", "potency_pct", "--batch", "lot")
    assert code == 2 and "specification" in err


def test_japanese_text_output(capsys, fixtures_dir):
    with use_language("ja"):
        code, out, _ = run(capsys, fixtures_dir / "stability" / "potency_synthetic.csv", "--time", "month",
                           "--value", "potency_pct", "--batch", "lot", "--lower", "95")  # fmt: skip
    assert code == 0
    assert "モデル: cics" in out and "有効期間" in out
