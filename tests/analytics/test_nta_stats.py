"""Histogram statistics of NTA exports: hand-worked figures and properties."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evqms.analytics import nta_stats
from evqms.analytics.nta_stats import SizeStats
from evqms.i18n import use_language


@pytest.fixture(autouse=True, scope="module")
def _english():
    """Messages are asserted in English (inside Django the default language is Japanese)."""
    with use_language("en"):
        yield


def test_three_bin_histogram_by_hand():
    # Bins 99.5, 100.5, 101.5 (1 nm wide) holding 1:2:1.
    c, w = [99.5, 100.5, 101.5], [1e8, 2e8, 1e8]
    mean, sd = nta_stats.weighted_mean_sd(c, w)
    assert mean == pytest.approx(100.5)
    assert sd == pytest.approx(math.sqrt(0.5))  # (1 + 0 + 1) / 4
    # Cumulative 0.25, 0.75, 1.0 at the upper edges 100, 101, 102: D50 = 100 + 0.25/0.5.
    assert nta_stats.percentile(c, w, 0.5, "upper") == pytest.approx(100.5)
    assert nta_stats.percentile(c, w, 0.9, "upper") == pytest.approx(101 + 0.15 / 0.25)
    # ... at the lower edges 99, 100, 101 everything moves down by one bin width.
    assert nta_stats.percentile(c, w, 0.9, "lower") == pytest.approx(100 + 0.15 / 0.25)
    # ... at the centres (ZetaView).
    assert nta_stats.percentile(c, w, 0.5, "centre") == pytest.approx(100.0)
    # Below the first bin's fraction the first anchor point is the answer.
    assert nta_stats.percentile(c, w, 0.1, "upper") == pytest.approx(100.0)
    assert nta_stats.parabolic_mode(c, w) == pytest.approx(100.5)


def test_parabolic_mode_by_hand():
    # y = 10 - (x - 100.3)^2 sampled at 99, 100, 101: the vertex is 100.3.
    c = [98.0, 99.0, 100.0, 101.0, 102.0]
    w = [10 - (x - 100.3) ** 2 + 20 for x in c]
    assert nta_stats.parabolic_mode(c, w) == pytest.approx(100.3)
    # Highest bin at the edge: its centre.
    assert nta_stats.parabolic_mode([1.0, 2.0, 3.0], [5, 2, 1]) == 1.0
    assert nta_stats.modal_class([1.0, 2.0, 3.0], [1, 5, 5]) == 2.0


def test_number_sd_uses_n_minus_1():
    # Four particles at 100 and 110 nm (two each): mean 105, SD(n-1) = sqrt(4*25/3).
    mean, sd = nta_stats.weighted_mean_sd([100, 110], [2, 2], ddof=1)
    assert mean == 105
    assert sd == pytest.approx(math.sqrt(100 / 3))


def test_standard_error_is_sd_over_root_n():
    mean, se = nta_stats.mean_and_standard_error([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    assert se == pytest.approx(math.sqrt(5 / 3) / 2)
    assert nta_stats.mean_and_standard_error([7.0]) == (7.0, None)


def test_volume_weighting_moves_sizes_up():
    number = nta_stats.size_stats([50, 100], [1, 1], anchor="centre", ddof=0, mode="class")
    volume = nta_stats.size_stats(
        [50, 100], [1, 1], anchor="centre", ddof=0, mode="class", weighting="volume"
    )
    assert number.mean == 75
    assert volume.mean == pytest.approx((50 * 50**3 + 100 * 100**3) / (50**3 + 100**3))


def test_empty_histogram_is_refused():
    with pytest.raises(ValueError):
        nta_stats.size_stats([1.0, 2.0], [0, 0], anchor="centre", ddof=1, mode="class")
    assert SizeStats.empty().to_dict() == dict.fromkeys(SizeStats.FIELDS)


# ---- properties ---------------------------------------------------------------------------------

histograms = st.lists(
    st.tuples(st.integers(1, 2000), st.integers(0, 10**6)), min_size=3, max_size=60, unique_by=lambda t: t[0]
).filter(lambda bins: sum(w for _c, w in bins) > 0)


def _stats(bins, anchor="upper", ddof=0, mode="parabola"):
    centres = [c + 0.5 for c, _w in bins]
    weights = [w for _c, w in bins]
    return nta_stats.size_stats(centres, weights, anchor=anchor, ddof=ddof, mode=mode)


def _close(a: SizeStats, b: SizeStats, rel=1e-9):
    for k in SizeStats.FIELDS:
        assert getattr(a, k) == pytest.approx(getattr(b, k), rel=rel, abs=1e-9), k


@settings(max_examples=150, deadline=None)
@given(histograms, st.randoms(use_true_random=False), st.sampled_from(["upper", "lower", "centre"]))
def test_statistics_do_not_depend_on_bin_order(bins, rnd, anchor):
    shuffled = list(bins)
    rnd.shuffle(shuffled)
    _close(_stats(bins, anchor), _stats(shuffled, anchor))


@settings(max_examples=150, deadline=None)
@given(histograms, st.sampled_from([0.001, 3.0, 1e6]))
def test_scaling_counts_does_not_change_sizes(bins, k):
    scaled = [(c, w * k) for c, w in bins]
    _close(_stats(bins), _stats(scaled), rel=1e-7)


@settings(max_examples=150, deadline=None)
@given(histograms)
def test_percentiles_are_ordered_and_inside_the_histogram(bins):
    s = _stats(bins, anchor="centre", ddof=0, mode="class")
    occupied = [c + 0.5 for c, w in bins if w > 0]
    # A percentile may interpolate from the empty bin below the first occupied one.
    assert min(c + 0.5 for c, _w in bins) - 1e-9 <= s.d10 <= s.d50 <= s.d90 <= max(occupied) + 1e-9
    assert min(occupied) - 1e-9 <= s.mean <= max(occupied) + 1e-9
    assert s.sd >= 0


@settings(max_examples=100, deadline=None)
@given(histograms, st.integers(-50, 50))
def test_shifting_every_bin_shifts_every_size(bins, shift):
    if min(c for c, _w in bins) + shift < 1:
        shift = 0
    moved = [(c + shift, w) for c, w in bins]
    a, b = _stats(bins), _stats(moved)
    for k in ("mean", "mode", "d10", "d50", "d90"):
        assert getattr(b, k) == pytest.approx(getattr(a, k) + shift, abs=1e-6)
    assert b.sd == pytest.approx(a.sd, abs=1e-6)


def test_median_at_exactly_half_is_the_first_bin():
    rng = random.Random(3)
    c = [rng.uniform(10, 20), rng.uniform(30, 40)]
    assert nta_stats.percentile(c, [5, 5], 0.5, "centre") == pytest.approx(c[0])
