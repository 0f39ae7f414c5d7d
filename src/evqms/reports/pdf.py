"""WeasyPrint helpers: HTML to PDF with the Japanese font embedded.

The font is Debian's IPAex Gothic (package fonts-ipaexfont), loaded by @font-face from its file
URL so WeasyPrint embeds (a subset of) it in every PDF: the certificate reads the same on a
machine without Japanese fonts. A missing font is a clear error, never a PDF with blank glyphs.
"""

from __future__ import annotations

from pathlib import Path

from evqms.errors import EvqmsError
from evqms.i18n import _

JAPANESE_FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
FONT_FAMILY = "EvqmsIPAexGothic"


class FontMissing(EvqmsError):
    """The Japanese font file is not installed."""


def font_face_css(font_path: Path | None = None) -> str:
    path = Path(font_path or JAPANESE_FONT)
    if not path.is_file():
        raise FontMissing(
            _("the Japanese font {path} is missing: install the Debian package fonts-ipaexfont").format(
                path=path
            )
        )
    # One file for both weights: IPAex Gothic has no bold face, and without a bold rule WeasyPrint
    # would take bold text from another (non-Japanese) font on the machine.
    return "".join(
        f"@font-face {{ font-family: '{FONT_FAMILY}'; font-weight: {weight}; src: url('{path.as_uri()}'); }}\n"
        for weight in ("normal", "bold")
    )


def html_to_pdf(html: str, *, font_path: Path | None = None, base_url: str | None = None) -> bytes:
    """Render `html` (which uses font-family FONT_FAMILY) to PDF bytes with the font embedded."""
    face = font_face_css(font_path)
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()  # @font-face rules load through it, for the stylesheet and the document
    path = Path(font_path or JAPANESE_FONT)
    document = HTML(string=html, base_url=base_url or str(path.parent))
    return document.write_pdf(stylesheets=[CSS(string=face, font_config=fonts)], font_config=fonts)
