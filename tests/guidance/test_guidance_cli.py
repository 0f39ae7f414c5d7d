"""The CLI contract: exit codes, one-line errors naming file/line/field, user rule sets."""

from __future__ import annotations

import json
import shutil

import pytest
from guidance_helpers import EXAMPLES

from evqms.cli import main


@pytest.fixture
def fx(fixtures_dir):
    return fixtures_dir / "guidance"


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("evqms: error: "), err
    assert "Traceback" not in err
    return err


def test_bad_yaml_names_file_and_line(fx, capsys):
    code = main(["assess", str(EXAMPLES / "minimal.yaml"), "--ruleset", str(fx / "bad-syntax.yaml")])
    assert code == 2
    err = one_line_error(capsys)
    assert "bad-syntax.yaml, line 7" in err and "not valid YAML" in err


def test_unknown_check_names_the_item(fx, capsys):
    assert main(["guidance", "list", "--ruleset", str(fx / "unknown-check.yaml")]) == 2
    err = one_line_error(capsys)
    assert "unknown-check.yaml, line 13" in err and "item SOP-9" in err and "released_lots_vibe_check" in err


def test_unknown_level_names_item_and_line(fx, capsys):
    assert main(["assess", str(EXAMPLES / "minimal.yaml"), "--ruleset", str(fx / "unknown-level.yaml")]) == 2
    err = one_line_error(capsys)
    assert "unknown-level.yaml, line 16" in err and "item SOP-2: unknown level mandatory" in err


def test_unknown_ruleset_id(capsys):
    assert main(["assess", str(EXAMPLES / "minimal.yaml"), "--ruleset", "jsrm-1999"]) == 2
    assert "unknown rule set jsrm-1999" in one_line_error(capsys)


def test_invalid_dossier_names_the_json_path(fx, capsys):
    assert main(["assess", str(fx / "invalid-dossier.json")]) == 2
    err = one_line_error(capsys)
    assert 'invalid-dossier.json, field "$.lots[0].release.released_on"' in err


def test_unparseable_dose_unit_is_refused(fx, capsys):
    assert main(["assess", str(fx / "bad-dose-unit.yaml")]) == 2
    err = one_line_error(capsys)
    assert "$.administrations[0].dose" in err and "'vesicles/kg'" in err


def test_release_before_qc_is_a_contradiction(fx, capsys):
    assert main(["assess", str(fx / "released-before-qc.yaml")]) == 2
    err = one_line_error(capsys)
    assert "lot L-003" in err and "2024-05-01" in err and "2024-05-03" in err


def test_missing_dossier(capsys, tmp_path):
    assert main(["assess", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in one_line_error(capsys)


def test_user_ruleset_file_and_home_folder(fx, capsys, tmp_path, monkeypatch):
    code = main(
        [
            "assess",
            str(EXAMPLES / "typical-clinic.yaml"),
            "--ruleset",
            str(fx / "clinic-sop.yaml"),
            "--format",
            "json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["items"][0]["status"] == "met" and out["ruleset"]["id"] == "clinic-sop"
    (tmp_path / "rulesets").mkdir()
    shutil.copy(fx / "clinic-sop.yaml", tmp_path / "rulesets" / "clinic-sop.yaml")
    monkeypatch.setenv("EVQMS_HOME", str(tmp_path))
    assert main(["guidance", "list", "--ruleset", "clinic-sop", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["items"][0]["id"] == "SOP-1"
    assert main(["guidance", "list", "--format", "json"]) == 0
    ids = [r["id"] for r in json.loads(capsys.readouterr().out)]
    assert "clinic-sop" in ids and "jsrm-2024" in ids


def test_guidance_list_jsrm(capsys):
    assert main(["guidance", "list", "--ruleset", "jsrm-2024", "--format", "json"]) == 0
    (rs,) = json.loads(capsys.readouterr().out)
    levels = [i["level"] for i in rs["items"]]
    # Seed slides 10-12 (summary sections 10-12): one 現状確認項目 and ten 推奨項目, nothing else;
    # the biodistribution item is 推奨項目 whose sentence ends with 好ましい (kept in its text).
    assert len(levels) == 11
    assert levels.count("status-confirmation") == 1 and levels.count("recommended") == 10
    p1 = next(i for i in rs["items"] if i["id"] == "JSRM-3-P1")
    assert p1["level"] == "recommended" and p1["text"]["ja"].endswith("好ましい。")
    assert "preferable" in p1["text"]["en"]
    assert all(i["text"]["ja"] and i["text"]["en"] and i["source"] for i in rs["items"])
    assert rs["published"] == "2024-04-30"


def test_guidance_list_text_and_hazards(capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "ja")
    assert main(["guidance", "list", "--ruleset", "misev-2018"]) == 0
    out = capsys.readouterr().out
    assert "MISEV18-M1" in out and "報告事項" in out
    assert main(["guidance", "hazards", "--stage", "transport", "--format", "json"]) == 0
    hazards = json.loads(capsys.readouterr().out)
    assert hazards[0]["hazard"] == {"en": "Cold-chain failure", "ja": "コールドチェーンの逸脱"}
    assert main(["guidance", "hazards", "--stage", "moon"]) == 2


def test_html_output_escapes_user_text(tmp_path, capsys):
    from guidance_helpers import example_data

    data = example_data("typical-clinic.yaml")
    data["product"]["responsible_physician"] = "<script>alert(1)</script>"
    path = tmp_path / "x.json"  # the same dossier as JSON: both formats are read
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "r.html"
    assert main(["assess", str(path), "--format", "html", "-o", str(out), "--lang", "en"]) == 1
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
