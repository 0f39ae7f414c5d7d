"""The report plots set their text in the project's packaged Japanese font, whatever the machine has."""

import warnings

from django.utils import translation
from matplotlib import font_manager

from evqms.core.pdf import japanese_font_path
from evqms.studies import plots


def test_the_plots_font_is_the_packaged_ipaex_gothic():
    family = plots.RC["font.family"][0]
    found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert font_manager.FontProperties(fname=found).get_name() == "IPAexGothic"
    assert family == "IPAexGothic"
    # the package's file is registered, so a machine without a system Japanese font finds it
    assert str(japanese_font_path()) in {f.fname for f in font_manager.fontManager.ttflist}


def test_japanese_labels_draw_without_missing_glyphs():
    curves = {
        "curves": [
            {"label": "参照ロット", "points": [(1.0, 0.2), (10.0, 0.8)], "fit": [(1.0, 0.2), (10.0, 0.8)]}
        ]
    }
    with translation.override("ja"), warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        svg = plots.dose_response_svg(curves, "µg/mL")
    assert "IPAexGothic" in svg
    assert "参照ロット" in svg and "用量" in svg
