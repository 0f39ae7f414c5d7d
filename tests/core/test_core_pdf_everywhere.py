"""Every PDF embeds the same Japanese font, the one the project installs (IPAex Gothic from the PyPI
package japanize-matplotlib), whatever fonts the machine has; a PDF that cannot be made is a page
in the app's layout that says what to do.

The font check is what `pdffonts` shows, plus a look inside: each font a page uses is a subset
("ABCDEF+" prefix), embedded as a TrueType program whose own name table says IPAexGothic with the
version of the file in the installed package (so no glyph comes from a font of the machine).
"""

from __future__ import annotations

import io
import re

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from evqms.cli import main

pytestmark = pytest.mark.django_db

SUBSET = re.compile(r"^/[A-Z]{6}\+")


def _names(font: TTFont) -> dict[int, str]:
    return {n.nameID: n.toUnicode() for n in font["name"].names if n.nameID in (5, 6)}


def pdffonts(data: bytes) -> set[tuple[str, str, bool, tuple]]:
    """(name, type, embedded, (version, PostScript name) of the embedded program) per font used."""
    found = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"].get_object().get("/Font", {}).values():
            font = ref.get_object()
            target = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            program = ()
            if "/FontFile2" in descriptor:
                names = _names(TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data())))
                program = (names.get(5), names.get(6))
            found.add((str(font["/BaseFont"]), str(target["/Subtype"]), "/FontFile2" in descriptor, program))
    return found


def assert_ipaex_subset_only(data: bytes) -> None:
    from evqms.core.pdf import japanese_font_path

    installed = _names(TTFont(japanese_font_path()))
    assert installed[6] == "IPAexGothic"
    assert data.startswith(b"%PDF")
    fonts = pdffonts(data)
    assert fonts, "no fonts"
    for name, kind, embedded, program in fonts:
        assert SUBSET.match(name) and kind == "/CIDFontType2" and embedded, fonts
        assert program == (installed[5], "IPAexGothic"), fonts  # the package's file, nothing else


def test_the_font_comes_from_the_installed_package():
    from evqms.core.pdf import japanese_font_path

    path = japanese_font_path()
    assert path.name == "ipaexg.ttf" and "japanize_matplotlib" in path.parts


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_certificate_of_analysis(world, tmp_path, capsys, monkeypatch, lang):
    monkeypatch.setenv("EVQMS_LANG", lang)  # `--lang` sets it for the process; restore it afterwards
    lot = world.quarantined_lot(f"UCEV-F-{lang.upper()}")
    out = tmp_path / "coa.pdf"
    assert main(["report", "coa", lot.number, "-o", str(out), "--lang", lang]) == 0, capsys.readouterr().err
    assert_ipaex_subset_only(out.read_bytes())


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_compliance_report_from_the_page(client, world, lang):
    from evqms.compliance import services

    services.run_assessment(actor=None, product=world.product, ruleset_refs=["jsrm-2024"])
    client.force_login(world.qa)
    response = client.get(f"/compliance/{world.product.code}/report.pdf?lang={lang}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert_ipaex_subset_only(response.content)


def test_compliance_report_from_a_dossier_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "ja")  # `--lang` sets it for the process; restore it afterwards
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "typical-clinic.yaml"
    out = tmp_path / "report.pdf"
    assert main(["assess", str(example), "--format", "pdf", "-o", str(out), "--lang", "ja"]) == 1
    assert_ipaex_subset_only(out.read_bytes())


def test_recall_pdf(world, rf_request):
    from evqms.testing import factories as f
    from evqms.trace import exports, services

    lot = f.lot("UCEV-F-R", status="released", prod=world.product, bank=world.bank)
    recall = services.recall_lot(
        request=rf_request,
        actor=world.qa,
        lot=lot.number,
        reason="Endotoxin OOS",
        password=world.qa.raw_password,
    )
    assert_ipaex_subset_only(exports.recall_pdf(recall))


# --- a PDF that cannot be made ------------------------------------------------------------------


@pytest.fixture
def no_font(monkeypatch):
    from evqms.core import pdf

    monkeypatch.setattr(pdf, "FONT_PACKAGE", "no_such_font_package")  # as if never installed


def _get(client, user, url, lang):
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client.get(url, HTTP_ACCEPT_LANGUAGE=lang)


def _is_error_page(response, status):
    assert response.status_code == status
    assert "web/pdf_error.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "<footer>evqms" in html and 'class="brand"' in html  # the app's layout, with its menu
    return html


@pytest.mark.parametrize(
    ("lang", "title", "todo"),
    [
        ("en", "The PDF could not be made", "make install"),
        ("ja", "PDFを作成できませんでした", "make install"),
    ],
)
def test_missing_font_answers_503_with_what_to_do(client, world, no_font, lang, title, todo):
    lot = world.new_lot(f"UCEV-F-N{lang}")
    html = _is_error_page(_get(client, world.auditor, f"/reports/coa/{lot.number}.pdf", lang), 503)
    assert title in html and todo in html and "japanize-matplotlib" in html


def test_compliance_report_without_font_is_the_same_page(client, world, no_font):
    from evqms.compliance import services

    services.run_assessment(actor=None, product=world.product, ruleset_refs=["jsrm-2024"])
    _is_error_page(_get(client, world.qa, f"/compliance/{world.product.code}/report.pdf", "en"), 503)


def test_any_other_failure_is_a_500_page_not_a_traceback(client, world, rf_request, monkeypatch):
    from evqms.testing import factories as f
    from evqms.trace import exports, services

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "recall_pdf", broken)
    lot = f.lot("UCEV-F-X", status="released", prod=world.product, bank=world.bank)
    recall = services.recall_lot(
        request=rf_request, actor=world.qa, lot=lot.number, reason="x", password=world.qa.raw_password
    )
    html = _is_error_page(_get(client, world.qa, f"/trace/recalls/{recall.number}/recipients.pdf", "en"), 500)
    assert "OSError" in html and "Try again" in html and "disk full" not in html


@pytest.mark.parametrize(
    ("fmt", "lang", "title"),
    [
        ("json", "en", "The report could not be made (OSError)."),
        ("html", "ja", "報告書を作成できませんでした（OSError）。"),
    ],
)
def test_a_compliance_report_in_another_format_does_not_say_pdf(client, world, monkeypatch, fmt, lang, title):
    from evqms.compliance import services
    from evqms.compliance.views import product

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(product, "render_json_stored", broken)
    monkeypatch.setattr(product, "render_stored", broken)
    services.run_assessment(actor=None, product=world.product, ruleset_refs=["jsrm-2024"])
    html = _is_error_page(_get(client, world.qa, f"/compliance/{world.product.code}/report.{fmt}", lang), 500)
    assert title in html
    assert "PDF" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_missing_record_is_still_404(client, world):
    assert _get(client, world.auditor, "/reports/coa/NO-SUCH-LOT.pdf", "en").status_code == 404
