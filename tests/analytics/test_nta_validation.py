"""The real instrument exports in ../shared/validation/nta: every figure the instruments state
(expected.json) is reproduced at the precision the instrument printed it."""

from __future__ import annotations

import json
import math

import pytest

from evqms.analytics.nta import parse_nta, round_half_up, round_significant
from evqms.analytics.nta_stats import weighted_mean_sd
from evqms.i18n import use_language


@pytest.fixture(autouse=True, scope="module")
def _english():
    """Messages are asserted in English (inside Django the default language is Japanese)."""
    with use_language("en"):
        yield


pytestmark = pytest.mark.validation

SIZE_KEYS = {"mean": "mean", "mode": "mode", "sd": "sd", "D10": "d10", "D50": "d50", "D90": "d90"}


@pytest.fixture(scope="module")
def nta_dir(validation_dir):
    d = validation_dir / "nta"
    if not (d / "expected.json").is_file():
        pytest.skip(f"no NTA validation data in {d}")
    return d


@pytest.fixture(scope="module")
def expected(nta_dir):
    return json.loads((nta_dir / "expected.json").read_text(encoding="utf-8"))


def _parse(path):
    return parse_nta(path.read_bytes(), path.name)


def _sig(value: float) -> int:
    """Significant figures of a figure as the instrument printed it (1.47e9 -> 3, 1.3e7 -> 2)."""
    digits = f"{value:.15e}".split("e")[0].replace(".", "").rstrip("0")
    return max(1, len(digits))


NANOSIGHT_FILES = [
    "tidyNano_beads_NTA3.2-ExperimentSummary.csv",
    "20210401_EMT1_d20_2021-04-01_15-28-16-ExperimentSummary.csv",
    "tidyNano_beads2_NTA3.4-ExperimentSummary.csv",
]


@pytest.mark.parametrize("name", NANOSIGHT_FILES)
def test_nanosight_every_stated_figure(nta_dir, expected, name):
    exp = expected["nanosight"][name]
    r = _parse(nta_dir / "nanosight" / name)
    assert r.instrument == "NanoSight"
    assert r.software == exp["software"]
    assert r.videos == exp["n_videos"] == len(r.per_video)
    assert r.warnings == []  # the recomputation agrees with the file everywhere
    assert not r.no_particles

    # Per video: concentration at 3 significant figures, sizes at 0.1 nm.
    for v, video in enumerate(r.per_video):
        conc = exp["concentration_per_ml"]["per_video"][v]
        assert round_significant(video.concentration_per_ml, 3) == pytest.approx(conc, rel=1e-12), (v, conc)
        for key, attr in SIZE_KEYS.items():
            want = exp["per_video"][key][v]
            assert round_half_up(getattr(video.size_nm, attr), 1) == pytest.approx(want, abs=1e-9), (v, key)
        assert video.particles_per_frame == exp["particles_per_frame"]["per_video"][v]
        assert video.valid_tracks == exp["valid_tracks"][v]

    # Average and standard error over the videos.
    assert round_significant(r.concentration_per_ml, 3) == pytest.approx(
        exp["concentration_per_ml"]["average"]
    )
    assert round_significant(r.concentration_per_ml_se, 3) == pytest.approx(
        exp["concentration_per_ml"]["standard_error"]
    )
    for key, attr in SIZE_KEYS.items():
        assert round_half_up(getattr(r.size_nm, attr), 1) == pytest.approx(exp["average"][key], abs=1e-9), key
        assert round_half_up(getattr(r.size_nm_se, attr), 1) == pytest.approx(
            exp["standard_error"][key], abs=1e-9
        ), key

    # The dilution factor the file records (the concentrations are already corrected for it).
    fields = set(exp["dilution_factor_field"])
    if fields == {"Not recorded"}:
        assert r.dilution is None
    else:
        assert r.dilution == float(fields.pop())


def test_nanosight_percentile_convention_follows_version(nta_dir):
    anchors = {n: _parse(nta_dir / "nanosight" / n).extra["percentile_anchor"] for n in NANOSIGHT_FILES}
    assert anchors == dict(zip(NANOSIGHT_FILES, ["lower", "upper", "upper"], strict=True))


def test_nanosight_histogram_is_the_average_over_videos(nta_dir, expected):
    name = NANOSIGHT_FILES[2]
    d = _parse(nta_dir / "nanosight" / name).to_dict()
    # The mean histogram integrates (1-nm bins) to the average concentration.
    assert round_significant(sum(d["histogram"]["concentration_per_ml"]), 3) == pytest.approx(
        expected["nanosight"][name]["concentration_per_ml"]["average"]
    )


def test_zetaview_report_figures(nta_dir, expected):
    name = "20251217_0005_PC3_100kDa_F5_size_488.txt"
    exp = expected["zetaview"][name]
    rep, hdr = exp["report"], exp["txt_header"]
    r = _parse(nta_dir / "zetaview" / name)
    assert r.instrument == "ZetaView"
    assert r.software == rep["software"]
    assert r.warnings == []
    s, vol = r.size_nm, r.extra["size_nm_volume"]
    assert round_half_up(s.d10, 1) == rep["X10"]
    assert round_half_up(s.d50, 1) == rep["X50"]
    assert round_half_up(s.d90, 1) == rep["X90"]
    assert round_half_up(s.mean, 1) == rep["mean"]
    assert round_half_up(s.sd, 1) == rep["sd_number"]
    assert round_half_up((s.d90 - s.d10) / s.d50, 1) == rep["span"]
    assert round_half_up(vol["d10"], 1) == rep["vol_X10"]
    assert round_half_up(vol["d50"], 1) == rep["vol_X50"]
    assert round_half_up(vol["d90"], 1) == rep["vol_X90"]
    assert round_half_up(vol["mean"], 1) == rep["vol_mean"]
    assert round_half_up(vol["sd"], 1) == rep["vol_sd"]
    assert round_half_up((vol["d90"] - vol["d10"]) / vol["d50"], 1) == rep["vol_span"]
    # the header's volume median to all its printed digits (218.875740): N x centre^3 per class,
    # interpolated between class centres (the 4-digit Volume column would give 218.876868)
    assert round(vol["d50"], 6) == hdr["Median Volume (D50)"]
    assert round(s.d50, 6) == hdr["Median Number (D50)"]
    # The concentration-weighted SD is the number SD: every class has the same factor.
    hist = r.to_dict()["histogram"]
    _m, sd_c = weighted_mean_sd(hist["bin_centres_nm"], hist["concentration_per_ml"], ddof=0)
    assert round_half_up(sd_c, 1) == rep["sd_concentration"]
    # Concentrations: as measured, and of the original sample (x dilution), at 2 figures.
    measured = r.extra["concentration_per_ml_measured"]
    assert round_significant(measured, _sig(rep["conc_per_ml"])) == pytest.approx(rep["conc_per_ml"])
    assert round_significant(r.concentration_per_ml, _sig(rep["original_conc_per_ml"])) == pytest.approx(
        rep["original_conc_per_ml"]
    )
    assert r.dilution == rep["dilution"] == hdr["Dilution"]
    assert r.extra["traces"] == rep["traces"] == hdr["Number of Traces"]
    assert r.extra["particles_per_frame"] == hdr["Average Number of Particles"]
    assert round(r.extra["particles_per_frame"]) == rep["avg_counted_particles_per_frame"]
    assert r.extra["temperature_c"] == rep["temperature_C"]
    assert r.extra["sample"] == rep["sample"]
    assert f"{r.extra['cycles']} Cycles, {r.extra['positions']} Positions" == rep["cycles_positions"]
    # The header's D50 values, printed with 6 decimals.
    assert round_half_up(s.d50, 5) == pytest.approx(hdr["Median Number (D50)"], abs=1e-9)
    assert round_half_up(vol["d50"], 5) == pytest.approx(hdr["Median Volume (D50)"], abs=1e-9)
    assert r.stated["d50_number"] == hdr["Median Number (D50)"]


def test_zetaview_empty_run_is_no_particles(nta_dir):
    r = _parse(nta_dir / "zetaview" / "20250219_0001_EV_ip_p1_F8-1000_size_488_EMPTY.txt")
    assert r.no_particles is True
    assert r.concentration_per_ml is None
    assert all(v is None for v in r.size_nm.to_dict().values())
    assert r.extra["traces"] == 0
    assert r.dilution == 1000.0
    assert any("no particles" in w for w in r.warnings)
    d = r.to_dict()
    assert d["no_particles"] is True and d["concentration_per_ml"] is None
    assert d["histogram"] == {"bin_centres_nm": [], "concentration_per_ml": []}


def test_every_validation_file_is_read(nta_dir):
    files = sorted(p for p in nta_dir.rglob("*") if p.suffix in (".csv", ".txt"))
    assert len(files) == 5
    for p in files:
        r = _parse(p)
        assert r.instrument == ("NanoSight" if p.suffix == ".csv" else "ZetaView")
        assert r.no_particles or math.isfinite(r.concentration_per_ml)


@pytest.mark.parametrize(
    ("name", "captured", "dilution", "recorded"),
    [
        # "Time Captured,15:28:16  01/04/2021": NTA writes time then date, day first (the file
        # name says 2021-04-01); 16/06/2020 can only be day first
        (
            "nanosight/20210401_EMT1_d20_2021-04-01_15-28-16-ExperimentSummary.csv",
            "2021-04-01T15:28:16",
            None,
            False,
        ),
        ("nanosight/tidyNano_beads2_NTA3.4-ExperimentSummary.csv", "2020-06-16T11:52:04", 1e4, True),
        ("nanosight/tidyNano_beads_NTA3.2-ExperimentSummary.csv", None, None, False),  # empty in the file
        ("zetaview/20251217_0005_PC3_100kDa_F5_size_488.txt", "2025-12-17T10:28:05", 500.0, True),
    ],
)
def test_capture_time_and_dilution_as_the_files_record_them(nta_dir, name, captured, dilution, recorded):
    r = parse_nta((nta_dir / name).read_bytes(), name).to_dict()
    assert r["captured_at"] == captured
    assert r["dilution"] == dilution and r["dilution_recorded"] is recorded
