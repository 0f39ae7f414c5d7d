"""`evqms analyze spc` in-process: exit codes, JSON shape, text output, errors."""

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
    code = main(["analyze", "spc", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_shape_and_out_of_control_exit_code(capsys, fixtures_dir):
    code, out, err = run(capsys, fixtures_dir / "spc" / "fill_weight.csv", "--chart", "xbar", "--value",
                         "weight_mg", "--subgroup", "lot", "--calibration", "1-4", "--lsl", "8", "--usl",
                         "16", "--format", "json")  # fmt: skip
    assert code == 1  # subgroup 5 is beyond the UCL
    doc = json.loads(out)
    for key in ("chart", "center", "lcl", "ucl", "sigma", "points", "beyond_limits", "capability"):
        assert key in doc
    assert doc["chart"] == "xbar"
    assert doc["beyond_limits"] == [5]
    assert set(doc["points"][0]) >= {"index", "value", "beyond_limits", "rules"}
    assert doc["points"][4]["rules"][:1] == ["WE1"]
    assert doc["capability"]["Cp"]["value"] > 0


def test_in_control_exits_zero_with_text(capsys, fixtures_dir):
    code, out, _ = run(capsys, fixtures_dir / "spc" / "fill_weight.csv", "--chart", "r", "--value",
                       "weight_mg", "--subgroup", "lot")  # fmt: skip
    assert code == 0
    assert "r chart" in out and "beyond limits: none" in out


def test_varying_limits_are_lists(capsys, fixtures_dir):
    code, out, _ = run(capsys, fixtures_dir / "spc" / "vial_defects.csv", "--chart", "p", "--value",
                       "defective", "--size", "inspected", "--calibration", "1-5", "--format", "json")  # fmt: skip
    doc = json.loads(out)
    assert code == 1
    assert isinstance(doc["ucl"], list) and len(doc["ucl"]) == 6
    assert doc["capability"] is None


def test_bad_input_exit_2_one_line(capsys, fixtures_dir):
    path = fixtures_dir / "spc" / "bad_negative_count.csv"
    code, out, err = run(capsys, path, "--chart", "c", "--value", "defective")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "line 3" in err and "Traceback" not in err


def test_missing_file_and_bad_chart(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "nope.csv", "--chart", "i", "--value", "x")
    assert code == 2 and "nope.csv" in err
    with pytest.raises(SystemExit) as exit_info:  # argparse rejects an unknown chart, exit 2
        main(["analyze", "spc", str(tmp_path / "nope.csv"), "--chart", "ewma", "--value", "x"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_output_file(capsys, fixtures_dir, tmp_path):
    target = tmp_path / "chart.json"
    code, out, _ = run(capsys, fixtures_dir / "spc" / "particle_counts.csv", "--chart", "i", "--value", "count",
                       "--calibration", "1-5", "--format", "json", "-o", target)  # fmt: skip
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["moving_range"]["beyond_limits"] == [6]
