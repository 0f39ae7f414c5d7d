"""`evqms analyze nta`, run in-process: exit codes, JSON shape, text output."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from evqms.cli import main
from evqms.i18n import use_language


@pytest.fixture(autouse=True, scope="module")
def _english():
    """Messages are asserted in English (inside Django the default language is Japanese)."""
    with use_language("en"):
        yield


def _load_synth():
    path = Path(__file__).resolve().parents[1] / "fixtures" / "nta" / "nta_synth.py"
    spec = importlib.util.spec_from_file_location("nta_synth", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synth = _load_synth()
V1 = [0.0] * 99 + [1e8, 2e8, 1e8] + [0.0] * 898
V2 = [0.0] * 109 + [1e8, 1e8, 2e8] + [0.0] * 888

TOP_KEYS = {
    "file",
    "instrument",
    "software",
    "dilution",
    "videos",
    "concentration_per_ml",
    "concentration_per_ml_se",
    "size_nm",
    "size_nm_se",
    "per_video",
    "histogram",
    "warnings",
}


@pytest.fixture
def files(tmp_path):
    paths = {
        "ns": tmp_path / "ExperimentSummary.csv",
        "zv": tmp_path / "size.txt",
        "empty_zv": tmp_path / "empty.txt",
        "disagree": tmp_path / "edited.csv",
        "cut": tmp_path / "cut.csv",
    }
    paths["ns"].write_bytes(synth.nanosight_csv([V1, V2], dilution=1e4))
    paths["zv"].write_bytes(synth.zetaview_txt([0, 0, 0, 1, 2, 1]))
    paths["empty_zv"].write_bytes(synth.zetaview_txt([]))
    paths["disagree"].write_bytes(synth.nanosight_csv([V1, V2], overrides={("Mode", 1): "120.0"}))
    paths["cut"].write_bytes(synth.nanosight_csv([V1, V2])[:9000])  # inside the graph data
    return {k: str(v) for k, v in paths.items()}


def test_one_file_json(files, capsys):
    assert main(["analyze", "nta", files["ns"], "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert TOP_KEYS <= set(d)
    assert d["instrument"] == "NanoSight" and d["videos"] == 2 and d["dilution"] == 1e4
    assert set(d["size_nm"]) == {"mean", "mode", "sd", "d10", "d50", "d90"}
    assert d["size_nm"]["mean"] == pytest.approx(105.625)
    assert d["size_nm_se"]["mean"] == pytest.approx(5.125)
    assert d["concentration_per_ml"] == pytest.approx(4e8)
    assert len(d["per_video"]) == 2 and d["per_video"][0]["size_nm"]["d50"] == pytest.approx(100.5)
    assert d["histogram"]["bin_centres_nm"][0] == 99.5
    assert len(d["histogram"]["bin_centres_nm"]) == len(d["histogram"]["concentration_per_ml"])
    assert d["warnings"] == [] and d["no_particles"] is False


def test_several_files_give_a_list(files, capsys):
    assert main(["analyze", "nta", files["ns"], files["zv"], "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [x["instrument"] for x in d] == ["NanoSight", "ZetaView"]
    assert d[1]["videos"] is None and d[1]["per_video"] is None and d[1]["size_nm_se"] is None
    assert d[1]["concentration_per_ml_se"] is None
    assert d[1]["size_nm"]["mean"] == pytest.approx(22.5)  # 1, 2, 1 particles at 17.5, 22.5, 27.5 nm


def test_no_particles_exits_1_with_a_clear_result(files, capsys):
    assert main(["analyze", "nta", files["empty_zv"], "--format", "json"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["no_particles"] is True and d["concentration_per_ml"] is None
    assert d["size_nm"]["mean"] is None
    assert "no particles" in d["warnings"][0]
    assert main(["analyze", "nta", files["empty_zv"]]) == 1
    assert "NO PARTICLES TRACKED" in capsys.readouterr().out


def test_a_disagreement_exits_1(files, capsys):
    assert main(["analyze", "nta", files["ns"], files["disagree"], "--format", "json"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d[0]["warnings"] == []
    assert len(d[1]["warnings"]) == 1 and "video 2" in d[1]["warnings"][0] and "120.0" in d[1]["warnings"][0]


@pytest.mark.parametrize("which", ["cut", "missing"])
def test_bad_input_exits_2_naming_the_file(files, capsys, which, tmp_path):
    path = files["cut"] if which == "cut" else str(tmp_path / "nope.csv")
    assert main(["analyze", "nta", files["ns"], path]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing half-written
    err = captured.err.strip()
    assert err.startswith("evqms: error: ") and path in err and "\n" not in err


def test_text_output(files, capsys):
    assert main(["analyze", "nta", files["ns"], files["zv"]]) == 0
    out = capsys.readouterr().out
    assert "NanoSight" in out and "ZetaView" in out
    assert "Concentration (original sample): 4e+08 ± 0 (SE) particles/mL" in out
    assert "105.6" in out and "video 2" in out


def test_output_file(files, tmp_path, capsys):
    target = tmp_path / "out" / "nta.json"
    assert main(["analyze", "nta", files["zv"], "--format", "json", "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["instrument"] == "ZetaView"


def test_help_has_an_example(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "nta", "--help"])
    assert exc.value.code == 0
    assert "Example: evqms analyze nta" in capsys.readouterr().out


def test_japanese_text(files, capsys):
    from evqms.i18n import _catalogue

    if _catalogue("ja").gettext("Concentration (original sample)") == "Concentration (original sample)":
        pytest.skip("the Japanese catalogue is not compiled (make locale)")
    with use_language("ja"):
        assert main(["analyze", "nta", files["empty_zv"]]) == 1
        assert main(["analyze", "nta", files["ns"]]) == 0
    out = capsys.readouterr().out
    assert "粒子が追跡されていません" in out
    assert "粒子濃度 (元の試料)" in out and "最頻値" in out and "動画 2" in out
