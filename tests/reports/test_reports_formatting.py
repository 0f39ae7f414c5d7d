"""The certificate's PDF draws every character from the embedded IPAex Gothic font."""

from evqms.reports.formatting import pdf_html


def test_pdf_html_uses_glyphs_the_font_has():
    # The font has ≧ ≦ μ and no superscript digits, ≥ ≤ or µ (checked in its cmap).
    assert (
        pdf_html("≥ 1 × 10⁹ – ≤ 1 × 10¹² particles/µL")
        == "≧ 1 × 10<sup>9</sup> – ≦ 1 × 10<sup>12</sup> particles/μL"
    )


def test_pdf_html_escapes_the_text():
    assert pdf_html("< 0.5 EU/mL") == "&lt; 0.5 EU/mL"
    assert pdf_html('<b>"x"</b>') == "&lt;b&gt;&quot;x&quot;&lt;/b&gt;"
