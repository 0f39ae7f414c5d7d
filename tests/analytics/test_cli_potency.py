"""`evqms analyze potency` in-process: exit codes, JSON shape, one-line errors naming file and line."""

from __future__ import annotations

import json

import pytest

from evqms.cli import main
from evqms.i18n import use_language


@pytest.fixture(autouse=True)
def english():
    """Messages are matched in English (under pytest-django the active language may be ja)."""
    with use_language("en"):
        yield


def run(capsys, *args):
    code = main(["analyze", "potency", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_two_lot_plate_json(capsys, fixtures_dir):
    plate = fixtures_dir / "potency" / "plate_two_lots.csv"
    code, out, err = run(
        capsys,
        plate,
        "--dose",
        "conc_ng_ml",
        "--response",
        "signal",
        "--curve",
        "lot",
        "--reference",
        "REF",
        "--shared",
        "b,c,d",
        "--ed",
        "10,50",
        "--format",
        "json",
    )
    assert code == 0, err
    d = json.loads(out)
    assert set(d) >= {"model", "n", "rss", "df", "residual_se", "curves", "ed", "comparisons", "parallelism"}
    assert d["model"] == "LL4" and d["n"] == 54 and d["df"] == 54 - 5
    assert list(d["curves"]) == ["REF", "LOT-0425"]
    assert set(d["curves"]["REF"]) == {"b", "c", "d", "e"}
    assert d["curves"]["REF"]["d"] == d["curves"]["LOT-0425"]["d"]
    assert set(d["ed"]["REF"]) == {"10", "50"}
    ed50 = d["ed"]["LOT-0425"]["50"]
    assert ed50["ci"][0] < ed50["estimate"] < ed50["ci"][1]
    assert ed50["estimate"] == pytest.approx(d["curves"]["LOT-0425"]["e"]["estimate"])  # LL: e is the ED50
    (comp,) = d["comparisons"]
    assert comp["curve"] == "LOT-0425" and comp["reference"] == "REF"
    rp = comp["relative_potency"]
    # the fixture was simulated with ED50 5 (REF) and 3.125 (test): potency 1.6
    assert rp["fieller_ci"][0] < 1.6 < rp["fieller_ci"][1]
    assert set(rp) == {"estimate", "se", "delta_ci", "fieller_ci"}
    assert comp["ed50_ratio"]["estimate"] == pytest.approx(1 / rp["estimate"])
    par = d["parallelism"]
    assert set(par) == {"F", "df1", "df2", "p"} and par["df1"] == 1 and par["p"] > 0.05


def test_single_curve_text_and_output_file(capsys, fixtures_dir, tmp_path):
    plate = fixtures_dir / "potency" / "plate_two_lots.csv"
    target = tmp_path / "fit.json"
    code, out, _ = run(
        capsys,
        plate,
        "--dose",
        "conc_ng_ml",
        "--response",
        "signal",
        "--model",
        "W2.4",
        "--format",
        "json",
        "-o",
        target,
    )
    assert code == 0 and out == ""
    d = json.loads(target.read_text())
    assert list(d["curves"]) == ["all"] and d["comparisons"] == [] and d["parallelism"] is None
    assert d["model"] == "W2.4" and d["df"] == 54 - 4
    code, out, _ = run(capsys, plate, "--dose", "conc_ng_ml", "--response", "signal", "--curve", "lot")
    assert code == 0
    assert "ED50" in out and "Parallelism" in out and "LOT-0425 / REF" in out


def test_validation_file_through_the_cli(capsys, validation_dir):
    code, out, _ = run(
        capsys,
        validation_dir / "drc" / "ryegrass.csv",
        "--dose",
        "conc",
        "--response",
        "rootl",
        "--ed",
        "10,50",
        "--format",
        "json",
    )
    assert code == 0
    d = json.loads(out)
    assert round(d["curves"]["all"]["b"]["se"], 5) == 0.46506
    assert [round(v, 5) for v in d["ed"]["all"]["10"]["ci"]] == [1.07411, 1.8533]
    assert round(d["residual_se"], 7) == 0.5196256


@pytest.mark.parametrize(
    ("name", "args", "needle"),
    [
        ("bad_missing_dose.csv", (), 'line 3, column "dose": missing dose'),
        ("bad_non_numeric.csv", (), "line 4, column \"signal\": not a number: 'abc'"),
        ("bad_negative_dose.csv", (), 'line 3, column "dose": negative dose'),
        ("bad_too_few.csv", (), "too few"),
        ("bad_single_dose_curve.csv", ("--curve", "lot"), 'line 8, column "lot": curve B has a single dose'),
        ("bad_flat_response.csv", (), "did not converge"),
        ("bad_too_few.csv", ("--model", "LL9"), "unknown model LL9"),
        ("bad_too_few.csv", ("--shared", "z"), "unknown shared parameter z"),
        ("bad_too_few.csv", ("--ed", "50,120"), "between 0 and 100"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, fixtures_dir, name, args, needle):
    path = fixtures_dir / "potency" / name
    code, out, err = run(capsys, path, "--dose", "dose", "--response", "signal", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and needle in err
    if "line" in needle:
        assert name in err


def test_missing_column_names_the_file_and_header(capsys, fixtures_dir):
    path = fixtures_dir / "potency" / "bad_too_few.csv"
    code, _, err = run(capsys, path, "--dose", "conc", "--response", "signal")
    assert code == 2 and 'bad_too_few.csv, line 1, column "conc"' in err and "dose, signal" in err


def test_missing_file_and_unknown_reference(capsys, fixtures_dir, tmp_path):
    code, _, err = run(capsys, tmp_path / "nope.csv", "--dose", "d", "--response", "r")
    assert code == 2 and "file not found" in err
    plate = fixtures_dir / "potency" / "plate_two_lots.csv"
    code, _, err = run(
        capsys,
        plate,
        "--dose",
        "conc_ng_ml",
        "--response",
        "signal",
        "--curve",
        "lot",
        "--reference",
        "LOT-9",
    )
    assert code == 2 and "LOT-9" in err


def test_help_has_an_example(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "potency", "--help"])
    assert exc.value.code == 0
    assert "Example: evqms analyze potency" in capsys.readouterr().out
