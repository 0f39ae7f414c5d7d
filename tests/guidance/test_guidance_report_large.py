"""Reports of an item with thousands of reasons: the text and HTML reports list the first
REASONS_SHOWN and count the rest, in the report's language; the JSON report keeps every reason and is
written in pieces with the same text as before."""

from __future__ import annotations

import json

import pytest
from guidance_helpers import run

from evqms.cliutil import emit_chunks, to_json
from evqms.guidance import report
from evqms.guidance.engine import to_dict


def with_reasons(typical: dict, n: int):
    a = run(typical)
    finding = a.findings[0]
    finding.reasons[:] = [{"en": f"reason {i}", "ja": f"理由 {i}"} for i in range(n)]
    return a, finding.item.id


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_text_report_lists_twenty_reasons_and_counts_the_rest(typical, lang):
    a, _item = with_reasons(typical, 137)
    text = report.render_text([a], lang)
    word = "reason" if lang == "en" else "理由"
    assert f"  - {word} 19\n" in text
    assert f"{word} 20\n" not in text and f"{word} 136" not in text
    more = {
        "en": "not listed here: 117 more (the JSON report lists them all)",
        "ja": "ここに記載していないもの: ほか 117 件（JSON 形式のレポートに全件あります）",
    }[lang]
    assert f"  - {more}" in text


def test_html_report_lists_twenty_reasons_and_counts_the_rest(typical):
    a, _item = with_reasons(typical, 21)
    html = report.render_html([a], "ja", {"dossier": "x", "assessor": "", "physician": ""})
    assert "<li>理由 19</li>" in html and "<li>理由 20</li>" not in html
    assert "ほか 1 件" in html


def test_twenty_reasons_or_fewer_are_all_listed(typical):
    a, _item = with_reasons(typical, 20)
    text = report.render_text([a], "en")
    assert "  - reason 19\n" in text and "not listed here" not in text


def test_json_report_keeps_every_reason_and_the_same_text(typical, tmp_path):
    a, item = with_reasons(typical, 137)
    expected = to_json(to_dict(a))  # the text written before the report came in pieces
    assert report.render_json([a]) == expected
    out = tmp_path / "report.json"
    emit_chunks(report.render_json_chunks([a]), str(out))
    assert out.read_text(encoding="utf-8") == expected
    items = {i["id"]: i for i in json.loads(expected)["items"]}
    assert len(items[item]["reasons"]) == 137


def test_chunks_to_standard_output_end_with_a_new_line(capsys):
    emit_chunks(iter(['{"a":', " 1}"]))
    assert capsys.readouterr().out == '{"a": 1}\n'


def test_chunks_to_a_file_leave_nothing_when_they_fail(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old", encoding="utf-8")

    def broken():
        yield "{"
        raise ValueError("stop")

    with pytest.raises(ValueError):
        emit_chunks(broken(), str(out))
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
