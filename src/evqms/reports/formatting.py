"""How the certificate of analysis writes text into its PDF.

The text itself (numbers, criteria, results, times) is written once, by `evqms.lots.display`, for
pages and reports alike. `pdf_html` turns it into safe HTML for WeasyPrint whose characters all
exist in the embedded IPAex Gothic font: exponents as <sup> (the font has no superscript digits),
≧/≦ instead of ≥/≤ (JIS has only the former), μ (Greek) for µ (micro sign). Otherwise a missing
glyph would be drawn from some other font on the machine, and the PDF would depend on that machine.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_EXPONENT = re.compile(r"10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
_DIGITS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
_GLYPHS = str.maketrans({"≥": "≧", "≤": "≦", "µ": "μ"})


def pdf_html(text: str) -> SafeString:
    """`text` as safe HTML drawn entirely from the embedded font: '≥ 1 × 10⁹ particles/µL' ->
    '≧ 1 × 10<sup>9</sup> particles/μL'."""
    escaped = str(escape(text or ""))
    escaped = _EXPONENT.sub(lambda m: f"10<sup>{m.group(1).translate(_DIGITS)}</sup>", escaped)
    return mark_safe(escaped.translate(_GLYPHS))  # noqa: S308 - escaped above
