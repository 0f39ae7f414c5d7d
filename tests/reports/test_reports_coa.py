"""The certificate of analysis: PDF text (pypdf) in both languages, the embedded Japanese font,
drafts for unreleased lots, retests, a signature that no longer applies, the CLI and the download."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from evqms.cli import main
from evqms.lots import services
from evqms.lots.models import QCResult
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _fonts(data: bytes) -> list[tuple[str, bool]]:
    """(BaseFont, has an embedded TrueType program) for every font used on any page."""
    out = []
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = None
            if "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            else:
                descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            out.append((str(font["/BaseFont"]), "/FontFile2" in descriptor))
    return out


def _released(world, rf_request, number="UCEV-C-001"):
    lot = world.quarantined_lot(number)
    return services.release_lot(
        request=rf_request, actor=world.qa, lot=lot, password=world.qa.raw_password, reason="all results pass"
    )


def _run(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_released_lot_english(world, rf_request, tmp_path, capsys):
    lot = _released(world, rf_request)
    out = tmp_path / "coa-en.pdf"
    code, stdout, _err = _run(["report", "coa", lot.number, "-o", str(out), "--lang", "en"], capsys)
    assert code == 0, _err
    assert f"certificate of analysis of lot {lot.number}" in stdout
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    text = _text(data)
    for expected in (
        "Certificate of analysis",
        "UCEV-C-001",
        "ucmsc-sev-oa",
        "Process version",
        "v1",
        "MCB-001",
        "2024-05-01",
        "120 nm",  # modal size, reported to 0 decimal places
        "0.10 EU/mL",  # endotoxin to 2 decimal places
        "< 0.5 EU/mL",  # frozen exclusive upper limit
        "≦ 200 nm",  # inclusive upper limit, drawn with the JIS glyph the font has
        "1 × 10",
        "positive",
        "no growth",
        "Pass",
        "Qa1",  # the signer's printed name
        "Release",  # the meaning
        "Asia/Tokyo",
        "This signature applies to the current record.",
    ):
        assert expected in text, expected
    assert "DRAFT" not in text
    assert text.count("Pass") >= 5  # one verdict per release attribute
    fonts = _fonts(data)
    assert fonts and all("IPAex" in name and embedded for name, embedded in fonts), fonts


def test_released_lot_japanese(world, rf_request, tmp_path, capsys):
    lot = _released(world, rf_request)
    out = tmp_path / "coa-ja.pdf"
    code, stdout, _err = _run(["report", "coa", lot.number, "-o", str(out), "--lang", "ja"], capsys)
    assert code == 0
    assert "試験成績書" in stdout
    text = _text(out.read_bytes())
    for expected in (
        "試験成績書",
        "ロット番号",
        "UCEV-C-001",
        "適合",
        "出荷判定",
        "Qa1",
        "署名の意味",
        "JST",
        "この署名は現在の記録に有効です。",
    ):
        assert expected in text, expected
    assert "Certificate of analysis" not in text
    fonts = _fonts(out.read_bytes())
    assert any("IPAex" in name and embedded for name, embedded in fonts)


def test_unreleased_lot_gets_a_draft_and_final_only_refuses(world, tmp_path, capsys):
    lot = world.quarantined_lot("UCEV-C-002")
    out = tmp_path / "draft.pdf"
    code, stdout, _err = _run(["report", "coa", lot.number, "-o", str(out), "--lang", "en"], capsys)
    assert code == 0 and "DRAFT certificate" in stdout
    text = _text(out.read_bytes())
    assert "DRAFT — not released" in text
    assert "This certificate is not a release document." in text
    assert "Not signed: the lot has not been released." in text
    refused = tmp_path / "final.pdf"
    code, _out, err = _run(
        ["report", "coa", lot.number, "-o", str(refused), "--final-only", "--lang", "en"], capsys
    )
    assert code == 1 and "no valid release" in err and not refused.exists()
    # in Japanese, too
    code, _out, _err = _run(["report", "coa", lot.number, "-o", str(out), "--lang", "ja"], capsys)
    assert "草案 — 出荷判定前" in _text(out.read_bytes())


def test_unknown_lot_is_bad_input(world, tmp_path, capsys):
    code, _out, err = _run(
        ["report", "coa", "NO-SUCH-LOT", "-o", str(tmp_path / "x.pdf"), "--lang", "en"], capsys
    )
    assert code == 2 and "no lot NO-SUCH-LOT" in err and "LOT" in err
    assert not (tmp_path / "x.pdf").exists()


def test_retest_and_invalidated_result_are_noted(world, rf_request, tmp_path, capsys):
    lot = world.in_qc("UCEV-C-003")
    endotoxin = world.attr("endotoxin")
    oos = services.record_qc_result(
        actor=world.analyst,
        lot=lot,
        attribute=endotoxin,
        value="0.62",
        unit="EU/mL",
        tested_at=timezone.now(),
        controls=passing_controls(endotoxin),
    )
    assert oos.verdict == "fail"
    services.invalidate_qc_result(actor=world.analyst, result=oos, reason="contaminated tube, LAB-77")
    retest = services.record_qc_result(
        actor=world.analyst,
        lot=lot,
        attribute=endotoxin,
        value="0.21",
        unit="EU/mL",
        tested_at=timezone.now(),
        retest_of=oos,
        controls=passing_controls(endotoxin),
    )
    services.verify_qc_result(actor=world.analyst2, result=retest)
    out = tmp_path / "retest.pdf"
    code, _o, _e = _run(["report", "coa", lot.number, "-o", str(out), "--lang", "en"], capsys)
    assert code == 0
    text = _text(out.read_bytes())
    note = f"Retest of result #{oos.pk} (0.62 EU/mL, Fail (OOS); invalidated: contaminated tube, LAB-77)"
    assert _flat(note) in _flat(text), text  # the note wraps inside its table cell
    assert "Invalidated results" in text, text
    assert "0.21 EU/mL" in text, text


def test_signature_that_no_longer_applies_voids_the_certificate(world, rf_request, tmp_path, capsys):
    lot = _released(world, rf_request, "UCEV-C-004")
    # someone changes the record behind the application's back
    QCResult.objects.filter(lot=lot, attribute__code="modal_size").update(method="edited afterwards")
    out = tmp_path / "changed.pdf"
    code, stdout, _err = _run(["report", "coa", lot.number, "-o", str(out), "--lang", "en"], capsys)
    assert code == 0 and "DRAFT certificate" in stdout
    text = " ".join(_text(out.read_bytes()).split())
    assert "NOT VALID — the record changed after release" in text
    assert "The record changed after signing: this signature covers an earlier version." in text
    code, _o, _e = _run(["report", "coa", lot.number, "-o", str(out), "--final-only"], capsys)
    assert code == 1


def test_missing_font_is_a_clear_error(world, tmp_path, capsys, monkeypatch):
    from evqms.core import pdf

    lot = world.quarantined_lot("UCEV-C-005")
    monkeypatch.setattr(pdf, "FONT_PACKAGE", "no_such_font_package")  # the font package is not installed
    code, _o, err = _run(["report", "coa", lot.number, "-o", str(tmp_path / "x.pdf"), "--lang", "en"], capsys)
    assert code == 2
    assert (
        "the Japanese font ipaexg.ttf is missing: reinstall the project (make install), "
        "which installs the package japanize-matplotlib" in err
    )
    assert not (tmp_path / "x.pdf").exists()


def test_download_from_the_lot_page(client, world, rf_request):
    lot = _released(world, rf_request, "UCEV-C-006")
    client.force_login(world.auditor)
    page = client.get(f"/lots/{lot.number}/").content.decode()
    # the lot page links to the one certificate URL, which the reports area owns
    assert f'href="/reports/coa/{lot.number}.pdf?lang=ja"' in page
    assert f'href="/reports/coa/{lot.number}.pdf?lang=en"' in page
    response = client.get(f"/reports/coa/{lot.number}.pdf?lang=en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="CoA-{lot.number}-en.pdf"'
    assert response.content.startswith(b"%PDF") and "Qa1" in _text(response.content)
    draft = world.in_qc("UCEV-C-007")
    response = client.get(f"/reports/coa/{draft.number}.pdf?lang=ja")
    assert response.status_code == 200 and "DRAFT" in response["Content-Disposition"]
    assert client.get("/reports/coa/NOPE.pdf").status_code == 404
