"""HTML to PDF (WeasyPrint) with the Japanese font embedded, the same font on every machine.

The font is IPAex Gothic (IPA Font License v1.0), as shipped inside the PyPI package
`japanize-matplotlib` (pinned in pyproject.toml), so a fresh machine needs no Debian font package
and every PDF embeds the same file wherever it is made. The package is only a carrier: it is
located without being imported. A missing font is a clear error, never a PDF with blank glyphs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from evqms.errors import EvqmsError
from evqms.i18n import _

FONT_FAMILY = "EvqmsIPAexGothic"
FONT_PACKAGE = "japanize_matplotlib"
FONT_FILE = "ipaexg.ttf"


class FontMissing(EvqmsError):
    """The Japanese font file is not installed."""


def japanese_font_path() -> Path:
    """The IPAex Gothic file inside the installed font package; FontMissing if it is absent."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            path = Path(folder) / "fonts" / FONT_FILE
            if path.is_file():
                return path
    raise FontMissing(
        _(
            "the Japanese font {font} is missing: reinstall the project (make install), "
            "which installs the package {package}"
        ).format(font=FONT_FILE, package="japanize-matplotlib")
    )


def font_face_css(font_path: Path | None = None) -> str:
    path = Path(font_path) if font_path else japanese_font_path()
    if not path.is_file():
        raise FontMissing(_("the Japanese font {font} is missing").format(font=path.name))
    # One file for both weights: IPAex Gothic has no bold face, and without a bold rule WeasyPrint
    # would take bold text from another (non-Japanese) font on the machine.
    return "".join(
        f"@font-face {{ font-family: '{FONT_FAMILY}'; font-weight: {weight}; src: url('{path.as_uri()}'); }}\n"
        for weight in ("normal", "bold")
    )


def html_to_pdf(html: str, *, font_path: Path | None = None, base_url: str | None = None) -> bytes:
    """Render `html` (which uses font-family FONT_FAMILY) to PDF bytes with the font embedded."""
    path = Path(font_path) if font_path else japanese_font_path()
    face = font_face_css(path)
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()  # @font-face rules load through it, for the stylesheet and the document
    document = HTML(string=html, base_url=base_url or str(path.parent))
    return document.write_pdf(stylesheets=[CSS(string=face, font_config=fonts)], font_config=fonts)
