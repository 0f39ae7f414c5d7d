"""Reports: the PDF carries the text in the chosen language with the Japanese font embedded."""

from __future__ import annotations

import io

import pytest
from guidance_helpers import EXAMPLES

from evqms.cli import main


def pdf_of(tmp_path, lang: str, monkeypatch):
    from pypdf import PdfReader

    monkeypatch.setenv("EVQMS_LANG", lang)
    out = tmp_path / f"report-{lang}.pdf"
    code = main(
        [
            "assess",
            str(EXAMPLES / "typical-clinic.yaml"),
            "--format",
            "pdf",
            "-o",
            str(out),
            "--lang",
            lang,
            "--assessor",
            "QA Hanako",
        ]
    )
    assert code == 1
    return PdfReader(io.BytesIO(out.read_bytes()))


def fonts(reader) -> set[tuple[str, bool]]:
    """(base font name, embedded?) for every font the pages use."""
    found = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found.add((str(font["/BaseFont"]), embedded))
    return found


def test_japanese_pdf(tmp_path, monkeypatch):
    reader = pdf_of(tmp_path, "ja", monkeypatch)
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "適合性評価報告書",
        "現状確認項目",
        "不適合",
        "要確認書",
        "ロットL-002は投与されましたが",
        "FBS-22-01",
        "承認",
        "署名",
        "責任医師",
        "Dr. Taro Yamada",
        "10.1016/j.reth.2025.02.008",
        "jsrm-2024",
        "QA Hanako",
    ):
        assert expected in text, expected
    used = fonts(reader)
    assert any("IPAexGothic" in name and embedded for name, embedded in used), used


def test_english_pdf(tmp_path, monkeypatch):
    reader = pdf_of(tmp_path, "en", monkeypatch)
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "Compliance report",
        "status confirmation",
        "not met",
        "needs attestation",
        "Lot L-002 was administered but has no retention sample",
        "What to do next".lower(),
        "Signature",
        "Responsible physician",
        "Score",
    ):
        assert expected.lower() in text.lower(), expected
    assert "適合性評価報告書" not in text
    assert all(embedded for _, embedded in fonts(reader))


def test_missing_font_is_a_clear_error(tmp_path, monkeypatch, capsys):
    import evqms.core.pdf as pdf

    monkeypatch.setenv("EVQMS_LANG", "en")
    monkeypatch.setattr(pdf, "FONT_PACKAGE", "no_such_font_package")  # the font package is not installed
    code = main(["assess", str(EXAMPLES / "minimal.yaml"), "--format", "pdf", "-o", str(tmp_path / "r.pdf")])
    assert code == 2
    err = capsys.readouterr().err
    assert "the Japanese font ipaexg.ttf is missing" in err and "make install" in err
    assert "japanize-matplotlib" in err
    assert not (tmp_path / "r.pdf").exists()


def test_pure_report_refuses_a_missing_font_file(tmp_path):
    from evqms.errors import EvqmsError
    from evqms.guidance import report

    with pytest.raises(EvqmsError, match="absent.ttf"):
        report.render_pdf([], "en", {}, font_path=tmp_path / "absent.ttf")


def test_report_date_is_the_local_day(monkeypatch):
    """Assessed at 23:30 UTC on 5 December = 08:30 JST on the 6th: the report is dated the 6th."""
    import dataclasses
    import datetime as dt

    from evqms.guidance import report, ruleset
    from evqms.guidance.dossier import load_dossier
    from evqms.guidance.engine import assess

    monkeypatch.delenv("EVQMS_TIME_ZONE", raising=False)  # the default zone, Asia/Tokyo
    snapshot = dataclasses.replace(load_dossier(str(EXAMPLES / "minimal.yaml")), as_of=None)
    early = dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)
    assessment = assess(snapshot, ruleset.load("jsrm-2024"), now=early)
    assert assessment.as_of == dt.date(2026, 12, 6)
    html = report.render_html([assessment], "en", {})
    assert "<td>2026-12-06</td>" in html and "2026-12-05" not in html


def test_report_names_evidence_in_its_language():
    """The Japanese report says ロット L-..., not "lot L-..." (issue 18 item 5); English keeps "lot"."""
    from evqms.guidance import report, ruleset
    from evqms.guidance.dossier import load_dossier
    from evqms.guidance.engine import assess

    snapshot = load_dossier(str(EXAMPLES / "typical-clinic.yaml"))
    assessment = assess(snapshot, ruleset.load("jsrm-2024"))
    lot = snapshot.lots[0].id
    for render in (report.render_text, lambda a, lang: report.render_html(a, lang, {})):
        ja, en = render([assessment], "ja"), render([assessment], "en")
        assert f"ロット {lot}" in ja and f"lot {lot}" not in ja
        assert f"lot {lot}" in en
