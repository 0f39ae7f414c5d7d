"""NanoSight ExperimentSummary.csv: synthetic files with hand-worked figures, and bad input."""

from __future__ import annotations

import importlib.util
import math
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evqms.analytics.nta import parse_nta
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


def _video(bins: dict[float, float]) -> list[float]:
    return [float(bins.get(c, 0.0)) for c in synth.NS_BINS]


# Two videos on the 1-nm grid whose figures are worked out by hand (see the test).
V1 = _video({99.5: 1e8, 100.5: 2e8, 101.5: 1e8})
V2 = _video({109.5: 1e8, 110.5: 1e8, 111.5: 2e8})


def test_hand_worked_figures_nta_3_4():
    r = parse_nta(synth.nanosight_csv([V1, V2], version="3.4", dilution=1e4), "run.csv")
    assert r.instrument == "NanoSight" and r.videos == 2 and r.warnings == []
    a, b = r.per_video[0].size_nm, r.per_video[1].size_nm
    # Video 1: 1:2:1 around 100.5 nm.
    assert r.per_video[0].concentration_per_ml == pytest.approx(4e8)
    assert a.mean == pytest.approx(100.5)
    assert a.sd == pytest.approx(math.sqrt(0.5))
    assert a.mode == pytest.approx(100.5)
    # Upper edges 99, 100, 101, 102 carry cumulative 0, .25, .75, 1.
    assert (a.d10, a.d50, a.d90) == pytest.approx((99.4, 100.5, 101.6))
    # Video 2: 1:1:2 at 109.5, 110.5, 111.5.
    assert b.mean == pytest.approx(110.75)
    assert b.sd == pytest.approx(math.sqrt(0.6875))
    assert b.mode == pytest.approx(111.5 - 1 / 6)  # parabola through (110.5,1) (111.5,2) (112.5,0)
    assert (b.d10, b.d50, b.d90) == pytest.approx((109.4, 111.0, 111.8))
    # Average and standard error (two videos: SE = |a - b| / 2).
    assert r.size_nm.mean == pytest.approx(105.625)
    assert r.size_nm_se.mean == pytest.approx(5.125)
    assert r.concentration_per_ml == pytest.approx(4e8)
    assert r.concentration_per_ml_se == pytest.approx(0.0)
    # The recorded dilution is reported; the file's concentrations already include it.
    assert r.dilution == 1e4
    assert r.extra["version"] == "3.4"


def test_nta_3_2_interpolates_against_lower_edges():
    r = parse_nta(synth.nanosight_csv([V1, V2], version="3.2"), "run.csv")
    a, b = r.per_video[0].size_nm, r.per_video[1].size_nm
    assert (a.d10, a.d50, a.d90) == pytest.approx((98.4, 99.5, 100.6))
    assert (b.d10, b.d50, b.d90) == pytest.approx((108.4, 110.0, 110.8))
    assert a.mean == pytest.approx(100.5)  # mean, SD and mode do not depend on the convention
    assert r.dilution is None
    assert r.warnings == []
    assert any("dilution" in n for n in r.notes)


def test_crlf_and_lf_read_the_same():
    crlf = parse_nta(synth.nanosight_csv([V1, V2], newline="\r\n"), "a.csv").to_dict()
    lf = parse_nta(synth.nanosight_csv([V1, V2], newline="\n"), "a.csv").to_dict()
    assert crlf == lf


def test_the_number_weighted_block_is_used_whatever_its_place():
    r = parse_nta(synth.nanosight_csv([V1, V2], version="3.3", volume_block_first=True), "run.csv")
    assert r.per_video[0].size_nm.mean == pytest.approx(100.5)
    assert r.warnings == []


def test_realistic_file_agrees_with_the_reference_implementation():
    rng = random.Random(7)
    videos = [
        synth.lognormal_histogram(synth.NS_BINS, median=95, gsd=1.45, total=2e9, rng=rng, noise=0.05)
        for _ in range(5)
    ]
    r = parse_nta(synth.nanosight_csv(videos, version="3.3"), "ev.csv")
    assert r.warnings == []
    for v, h in enumerate(videos):
        ref = synth.ref_stats(synth.NS_BINS, [round(x) for x in h], anchor="upper", ddof=0, mode="parabola")
        for k in ("mean", "mode", "sd", "d10", "d50", "d90"):
            assert getattr(r.per_video[v].size_nm, k) == pytest.approx(ref[k], rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.integers(30, 400), st.integers(1, 10**7)), min_size=3, max_size=40),
    st.sampled_from(["3.2", "3.3", "3.4"]),
)
def test_written_then_read_gives_the_written_figures(bins, version):
    h = _video({c + 0.5: w for c, w in bins})
    r = parse_nta(synth.nanosight_csv([h], version=version), "p.csv")
    anchor = "lower" if version == "3.2" else "upper"
    ref = synth.ref_stats(synth.NS_BINS, h, anchor=anchor, ddof=0, mode="parabola")
    assert r.warnings == []
    for k in ("mean", "mode", "sd", "d10", "d50", "d90"):
        assert getattr(r.size_nm, k) == pytest.approx(ref[k], rel=1e-9, abs=1e-9)
    assert r.size_nm_se is None and r.concentration_per_ml_se is None  # one video: no SE


def test_a_figure_the_histogram_does_not_give_is_a_warning():
    data = synth.nanosight_csv([V1, V2], overrides={("Mean", 0): "98.0", ("D50", "Average"): "104.0"})
    r = parse_nta(data, "run.csv")
    assert len(r.warnings) == 2
    assert "video 1" in r.warnings[0] and "98.0" in r.warnings[0] and "100.5" in r.warnings[0]
    assert "D50" in r.warnings[1] and "104.0" in r.warnings[1]
    # Half a printed digit is within the file's precision: no warning.
    ok = parse_nta(synth.nanosight_csv([V1, V2], overrides={("Mean", 0): "100.5"}), "run.csv")
    assert ok.warnings == []


def test_a_video_without_particles():
    r = parse_nta(synth.nanosight_csv([V1, [0.0] * 1000]), "run.csv")
    assert not r.no_particles
    assert r.per_video[1].no_particles and r.per_video[1].concentration_per_ml is None
    assert r.per_video[1].size_nm.mean is None
    assert r.size_nm.mean == pytest.approx(100.5)  # the average is over the videos with particles
    assert r.size_nm_se is None
    assert any("video 2" in w and "no particles" in w for w in r.warnings)


def test_no_particles_in_any_video():
    r = parse_nta(synth.nanosight_csv([[0.0] * 1000, [0.0] * 1000]), "run.csv")
    assert r.no_particles
    assert r.concentration_per_ml is None and r.size_nm.mean is None
    assert "no particles" in r.warnings[0]
    assert r.to_dict()["no_particles"] is True


# ---- bad input ----------------------------------------------------------------------------------


def _text(**kw) -> str:
    return synth.nanosight_csv([V1, V2], newline="\n", **kw).decode("latin-1")


@pytest.mark.parametrize("software", ["NTA 3.1 Build 3.1.54", "NTA 2.3 Build 0033", "NTA 4.0 Build 4.0.1"])
def test_unknown_version_is_refused_naming_the_line(software):
    with pytest.raises(InputError) as exc:
        parse_nta(synth.nanosight_csv([V1], software=software), "old.csv")
    msg = str(exc.value)
    assert "old.csv, line 2" in msg and software in msg and "unsupported" in msg


def test_file_cut_in_the_graph_data():
    text = _text()
    cut = text[: text.index("\n150.5,") + 9]  # inside a row of the graph
    with pytest.raises(InputError) as exc:
        parse_nta(cut.encode("latin-1"), "cut.csv")
    msg = str(exc.value)
    assert "cut.csv, line" in msg and "truncated" in msg
    line = int(msg.split("line ")[1].split(":")[0])
    assert line == cut.count("\n") + 1  # the last line of what is left


def test_file_cut_at_a_row_boundary_in_the_graph_data():
    text = _text()
    cut = text[: text.index("\n600.5,") + 1]
    with pytest.raises(InputError, match="truncated"):
        parse_nta(cut.encode("latin-1"), "cut.csv")


def test_file_cut_in_the_percentile_table():
    text = _text()
    cut = text[: text.index("\n50,") + 1]
    with pytest.raises(InputError, match="percentile table: it is truncated"):
        parse_nta(cut.encode("latin-1"), "cut.csv")


def test_export_without_percentile_tables_is_complete():
    text = _text()
    start = text.index("\nPercentile,") + 1
    end = text.index("\n100,", start) + 1
    end = text.index("\n", end) + 1
    r = parse_nta((text[:start] + text[end:]).encode("latin-1"), "noperc.csv")
    assert r.warnings == [] and r.size_nm.mean == pytest.approx(105.625)


def test_file_cut_before_the_size_data():
    text = _text()
    cut = text[: text.index("[Size Data]")]
    with pytest.raises(InputError, match=r"no \[Size Data\]"):
        parse_nta(cut.encode("latin-1"), "cut.csv")


def test_non_numeric_cell_in_the_graph():
    text = _text()
    i = text.index("\n100.5,") + 1
    line_no = text[:i].count("\n") + 1
    bad = text[:i] + "100.5,x2e8" + text[text.index(",", i + 6) :]
    with pytest.raises(InputError) as exc:
        parse_nta(bad.encode("latin-1"), "bad.csv")
    assert f'bad.csv, line {line_no}, column "video 1"' in str(exc.value)
    assert "x2e8" in str(exc.value)


def test_non_numeric_stated_figure():
    text = _text().replace("\nMean,100.5,", "\nMean,about 100,", 1)
    with pytest.raises(InputError, match=r'column "Mean 1".*about 100'):
        parse_nta(text.encode("latin-1"), "bad.csv")


def test_missing_number_weighting():
    text = _text().replace("Weighting,Number,", "Weighting,Intensity,")
    with pytest.raises(InputError, match="no number-weighted size distribution"):
        parse_nta(text.encode("latin-1"), "bad.csv")


def test_short_graph_row():
    text = _text()
    i = text.index("\n200.5,") + 1
    j = text.index("\n", i)
    bad = text[:i] + "200.5,0" + text[j:]
    with pytest.raises(InputError, match="graph data row has 2 values, expected 3"):
        parse_nta(bad.encode("latin-1"), "bad.csv")
