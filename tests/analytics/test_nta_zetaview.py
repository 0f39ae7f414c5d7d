"""ZetaView .txt size exports: synthetic files with hand-worked figures, encodings, bad input."""

from __future__ import annotations

import importlib.util
import math
import random
from pathlib import Path

import pytest

from evqms.analytics.nta import parse_nta
from evqms.analytics.nta_zetaview import _header_fields
from evqms.errors import InputError
from evqms.i18n import use_language


@pytest.fixture(autouse=True, scope="module")
def _english():
    """Messages are asserted in English (inside Django the default language is Japanese)."""
    with use_language("en"):
        yield


def _load_synth():
    path = Path(__file__).resolve().parents[1] / "fixtures" / "nta" / "nta_synth.py"
    spec = importlib.util.spec_from_file_location("nta_synth", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synth = _load_synth()


def _counts(classes: dict[float, int]) -> list[float]:
    return [float(classes.get(c, 0)) for c in synth.ZV_BINS]


# Four particles: two at 97.5 nm, one at 102.5, one at 107.5.
FOUR = _counts({97.5: 2, 102.5: 1, 107.5: 1})


def test_hand_worked_figures():
    r = parse_nta(synth.zetaview_txt(FOUR, dilution=500), "zv.txt")
    assert r.instrument == "ZetaView" and r.warnings == [] and not r.no_particles
    s = r.size_nm
    assert s.mean == pytest.approx(101.25)
    assert s.sd == pytest.approx(math.sqrt(68.75 / 3))  # n-1
    # Cumulative 0.5, 0.75, 1 at centres 97.5, 102.5, 107.5 (0 at 92.5).
    assert s.d10 == pytest.approx(93.5)
    assert s.d50 == pytest.approx(97.5)
    assert s.d90 == pytest.approx(105.5)
    assert s.mode == 97.5
    assert r.extra["concentration_per_ml_measured"] == pytest.approx(4 * 2.085e4)
    assert r.concentration_per_ml == pytest.approx(4 * 2.085e4 * 500)
    assert r.dilution == 500
    assert r.extra["traces"] == 4
    assert r.extra["positions"] == 11 and r.extra["cycles"] == 3
    assert r.videos is None and r.per_video is None and r.size_nm_se is None
    hist = r.to_dict()["histogram"]
    assert hist["bin_centres_nm"] == [97.5, 102.5, 107.5]
    assert hist["concentration_per_ml"] == pytest.approx([2 * 2.085e4 * 500, 2.085e4 * 500, 2.085e4 * 500])


def test_realistic_file_agrees_with_the_reference_implementation():
    rng = random.Random(11)
    counts = synth.lognormal_histogram(
        synth.ZV_BINS, median=120, gsd=1.5, total=800, rng=rng, noise=0.3, integer=True
    )
    r = parse_nta(synth.zetaview_txt(counts), "zv.txt")
    assert r.warnings == []
    ref = synth.ref_stats(synth.ZV_BINS, counts, anchor="centre", ddof=1, mode="class")
    for k in ("mean", "sd", "d10", "d50", "d90", "mode"):
        assert getattr(r.size_nm, k) == pytest.approx(ref[k], rel=1e-9)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_other_encodings_read_the_same(encoding):
    latin = parse_nta(synth.zetaview_txt(FOUR), "zv.txt").to_dict()
    other = parse_nta(synth.zetaview_txt(FOUR, encoding=encoding), "zv.txt").to_dict()
    assert other == latin


def test_lf_line_ends():
    assert (
        parse_nta(synth.zetaview_txt(FOUR, newline="\n"), "z.txt").to_dict()
        == parse_nta(synth.zetaview_txt(FOUR), "z.txt").to_dict()
    )


def test_header_lines_with_several_fields():
    line = "Number of Traces:\t630\t(at 0.099990)\tAverage Number of Particles:\t30.606061\tDilution::\t500.000000"
    assert _header_fields(line) == [
        ("Number of Traces", "630"),
        ("Average Number of Particles", "30.606061"),
        ("Dilution", "500.000000"),
    ]
    assert _header_fields("Conductivity: 65.000000\tsensed") == [("Conductivity", "65.000000")]
    assert _header_fields("Original File:\tZ:\\a.avi\tSection:\t0.09999 [0]") == [
        ("Original File", "Z:\\a.avi"),
        ("Section", "0.09999 [0]"),
    ]
    assert _header_fields("Sample Info 3:") == [("Sample Info 3", "")]


def test_no_dilution_recorded():
    r = parse_nta(synth.zetaview_txt(FOUR, dilution=None), "zv.txt")
    assert r.dilution is None
    assert r.concentration_per_ml == pytest.approx(4 * 2.085e4)
    assert any("dilution" in n for n in r.notes)


def test_zero_traces_is_no_particles():
    r = parse_nta(synth.zetaview_txt([]), "zv.txt")
    assert r.no_particles and r.concentration_per_ml is None and r.size_nm.d50 is None
    assert "no particles" in r.warnings[0]


def test_disagreements_are_warnings():
    r = parse_nta(synth.zetaview_txt(FOUR, traces=5, stated_d50="99.000000"), "zv.txt")
    assert len(r.warnings) == 2
    assert "5 traces" in r.warnings[0] and "4 particles" in r.warnings[0]
    assert "Median Number (D50)" in r.warnings[1] and "99.000000" in r.warnings[1]


def test_untested_software_version_is_a_warning():
    r = parse_nta(synth.zetaview_txt(FOUR, software="ZetaView (version 7.4.2)"), "zv.txt")
    assert any("7.4.2" in w and "not a tested version" in w for w in r.warnings)


def test_file_cut_in_the_log_section_is_noticed():
    counts = synth.lognormal_histogram(synth.ZV_BINS, median=120, gsd=1.5, total=800, integer=True)
    text = synth.zetaview_txt(counts, newline="\n").decode("latin-1")
    lines = text.split("\n")
    end_of_linear = lines.index("-1.000E+0\t-1.000E+0\t-1.000E+0\t-1.000E+0\t0.000E+0")
    cut = "\n".join(lines[: end_of_linear + 1 + 100])  # half the log section (up to ~170 nm)
    r = parse_nta(cut.encode("latin-1"), "zv.txt")
    assert any("log section" in w for w in r.warnings)


# ---- bad input ----------------------------------------------------------------------------------


def _text(**kw) -> str:
    return synth.zetaview_txt(FOUR, newline="\n", **kw).decode("latin-1")


def test_missing_size_section():
    text = _text()
    cut = text[: text.index("Size Distribution\n")]
    with pytest.raises(InputError) as exc:
        parse_nta(cut.encode("latin-1"), "zv.txt")
    assert "zv.txt, line" in str(exc.value) and "Size Distribution" in str(exc.value)


def test_linear_section_cut_short():
    text = _text()
    cut = text[: text.index("\n5.025E+2") + 1]
    with pytest.raises(InputError) as exc:
        parse_nta(cut.encode("latin-1"), "zv.txt")
    assert "truncated" in str(exc.value)
    assert f"line {cut.count(chr(10))}" in str(exc.value)


def test_non_numeric_cell():
    text = _text()
    i = text.index("\n1.025E+2\t") + 1
    line_no = text[:i].count("\n") + 1
    bad = text[:i] + text[i:].replace("1.025E+2\t1.000E+0", "1.025E+2\tone", 1)
    with pytest.raises(InputError) as exc:
        parse_nta(bad.encode("latin-1"), "zv.txt")
    assert f'zv.txt, line {line_no}, column "Number"' in str(exc.value)


def test_short_row():
    text = _text()
    i = text.index("\n1.025E+2\t") + 1
    j = text.index("\n", i)
    bad = text[:i] + "1.025E+2\t1.000E+0" + text[j:]
    with pytest.raises(InputError, match="size row has 2 values"):
        parse_nta(bad.encode("latin-1"), "zv.txt")


def test_column_header_without_number():
    bad = _text().replace("Size / nm\tNumber\t", "Size / nm\tCount\t")
    with pytest.raises(InputError, match="lacks 'Number'"):
        parse_nta(bad.encode("latin-1"), "zv.txt")


def test_non_numeric_dilution():
    bad = _text().replace("Dilution::\t500.000000", "Dilution::\tfive hundred")
    with pytest.raises(InputError, match=r'field "Dilution".*five hundred'):
        parse_nta(bad.encode("latin-1"), "zv.txt")
