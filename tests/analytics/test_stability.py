"""ICH Q1E shelf life on synthetic stability data, checked against closed-form solutions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evqms.analytics import stability
from evqms.errors import InputError
from evqms.i18n import use_language


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the active language otherwise follows Django's setting."""
    with use_language("en"):
        yield


def _load(fixtures_dir, name, **kw):
    raw = (fixtures_dir / "stability" / name).read_bytes()
    cols = {"potency": ("month", "potency_pct", "lot"), "aggregates": ("month", "aggregates_pct", "lot")}
    t, v, b = cols["aggregates" if "aggregates" in name else "potency"]
    return stability.load_table(raw, name, time=t, value=v, batch=b, **kw)


def closed_form_crossing(t, y, limit, q, side=1):
    """Earliest t >= 0 where a + b t - side q se(t) = limit for one regression line (a quadratic)."""
    n = len(t)
    b, a = np.polyfit(t, y, 1)
    mse = np.sum((y - (a + b * t)) ** 2) / (n - 2)
    tbar, sxx = t.mean(), np.sum((t - t.mean()) ** 2)
    c0 = a - limit
    k = q**2 * mse
    coeffs = [b**2 - k / sxx, 2 * c0 * b + 2 * k * tbar / sxx, c0**2 - k / n - k * tbar**2 / sxx]
    roots = [r.real for r in np.roots(coeffs) if abs(r.imag) < 1e-12 and r.real >= 0]
    valid = [r for r in roots if side * (c0 + b * r) >= 0]  # the bound, not its mirror image
    return min(valid)


def separate_rss(data):
    return sum(
        np.sum((data.value[data.batch == j] - np.polyval(np.polyfit(data.time[data.batch == j],
               data.value[data.batch == j], 1), data.time[data.batch == j])) ** 2)
        for j in range(len(data.batches))
    )  # fmt: skip


def test_similar_batches_pool_to_one_line(fixtures_dir):
    data = _load(fixtures_dir, "potency_synthetic.csv")
    r = stability.shelf_life(data, lower=95.0)
    assert r["model"] == "cics"
    assert r["worst_batch"] is None
    q = stats.t.ppf(0.95, len(data.value) - 2)
    assert r["shelf_life"] == pytest.approx(closed_form_crossing(data.time, data.value, 95.0, q), rel=1e-9)
    # poolability F statistics from independent fits
    rss_dids = separate_rss(data)
    df_dids = len(data.value) - 6
    dummies = (data.batch[:, None] == np.arange(3)).astype(float)
    X = np.column_stack([dummies, data.time])
    rss_dics = np.sum((data.value - X @ np.linalg.lstsq(X, data.value, rcond=None)[0]) ** 2)
    f_slopes = ((rss_dics - rss_dids) / 2) / (rss_dids / df_dids)
    assert r["poolability"]["F_slopes"] == pytest.approx(f_slopes, rel=1e-9)
    assert r["poolability"]["p_slopes"] == pytest.approx(stats.f.sf(f_slopes, 2, df_dids), rel=1e-9)
    assert r["poolability"]["p_slopes"] >= 0.25 and r["poolability"]["p_intercepts"] >= 0.25


def test_two_sided_specification_uses_97_5_percent_bounds(fixtures_dir):
    data = _load(fixtures_dir, "potency_synthetic.csv")
    one = stability.shelf_life(data, lower=95.0)
    both = stability.shelf_life(data, lower=95.0, upper=105.0)
    assert both["sides"] == "two-sided"
    q = stats.t.ppf(0.975, len(data.value) - 2)
    assert both["shelf_life"] == pytest.approx(closed_form_crossing(data.time, data.value, 95.0, q), rel=1e-9)
    assert both["shelf_life"] < one["shelf_life"]


def test_rising_impurity_against_upper_limit_with_different_intercepts(fixtures_dir):
    data = _load(fixtures_dir, "aggregates_rising.csv")
    r = stability.shelf_life(data, upper=2.0)
    assert r["model"] == "dics"
    assert r["worst_batch"] == "A2"
    # worst batch A2: its crossing is earlier than A1's
    lives = r["shelf_life_by_batch"]["dics"]
    assert lives["A2"] < lives["A1"]
    assert r["shelf_life"] == lives["A2"]
    # the individual-fit convention equals the closed form for each batch on its own
    q = stats.t.ppf(0.95, 2)
    sel = data.batch == 1
    expected = closed_form_crossing(data.time[sel], data.value[sel], 2.0, q, side=-1)
    assert r["shelf_life_by_batch"]["dids_individual"]["A2"] == pytest.approx(expected, rel=1e-9)


def test_dids_convention_switch(fixtures_dir):
    data = _load(fixtures_dir, "aggregates_rising.csv")
    pooled = stability.shelf_life(data, upper=2.0)
    by_model = pooled["shelf_life_by_model"]
    assert set(by_model) == {"cics", "dics", "dids_pooled_mse", "dids_individual"}
    assert by_model["dids_pooled_mse"] != pytest.approx(by_model["dids_individual"])


def test_no_crossing_gives_null_with_a_warning(fixtures_dir):
    data = _load(fixtures_dir, "potency_stable.csv")
    r = stability.shelf_life(data, lower=95.0)
    assert r["shelf_life"] is None
    assert r["poolability"] is None and r["model"] == "cics"
    assert any("does not cross" in w for w in r["warnings"])
    assert r["horizon"] == pytest.approx(54.0)  # 3 x 18 months


def test_extrapolation_beyond_ich_limits_is_warned(fixtures_dir):
    data = _load(fixtures_dir, "potency_synthetic.csv")
    r = stability.shelf_life(data, lower=93.0)
    assert r["shelf_life"] > 24
    assert any("ICH Q1E" in w for w in r["warnings"])


def test_bound_outside_at_time_zero(fixtures_dir):
    data = _load(fixtures_dir, "potency_synthetic.csv")
    r = stability.shelf_life(data, lower=100.5)
    assert r["shelf_life"] == 0.0
    assert r["warnings"]


def test_batch_with_two_time_points_is_rejected(fixtures_dir):
    with pytest.raises(InputError) as err:
        _load(fixtures_dir, "bad_two_timepoints.csv")
    assert 'bad_two_timepoints.csv, line 5, column "lot"' in str(err.value)
    assert "L2" in str(err.value)


def test_unknown_batch_and_missing_limit():
    raw = b"lot,month,y\nA,0,1\nA,1,2\nA,2,3\n"
    with pytest.raises(InputError, match="no batch Z"):
        stability.load_table(raw, "s.csv", time="month", value="y", batch="lot", batches=["Z"])
    data = stability.load_table(raw, "s.csv", time="month", value="y", batch="lot")
    with pytest.raises(InputError, match="specification"):
        stability.shelf_life(data)


def test_non_numeric_time_names_line_and_column():
    raw = b"lot,month,y\nA,0,1\nA,three,2\nA,2,3\n"
    with pytest.raises(InputError, match=r's.csv, line 3, column "month"'):
        stability.load_table(raw, "s.csv", time="month", value="y", batch="lot")


@settings(max_examples=30, deadline=None)
@given(st.floats(-50, 50), st.permutations([0, 1, 2]))
def test_shelf_life_is_invariant_to_offset_and_batch_order(offset, order):
    rng = np.random.default_rng(7)
    times = np.array([0, 3, 6, 9, 12, 18] * 3, dtype=float)
    batch = np.repeat([0, 1, 2], 6)
    values = 100 + np.array([0.0, 1.0, -0.5])[batch] - 0.25 * times + rng.normal(0, 0.3, 18)
    base = stability.StabilityData(times, values, batch, ("a", "b", "c"))
    ref = stability.shelf_life(base, lower=95.0)
    names = tuple(("a", "b", "c")[i] for i in order)
    moved = stability.StabilityData(times, values + offset, np.array([order.index(b) for b in batch]), names)
    got = stability.shelf_life(moved, lower=95.0 + offset)
    assert got["model"] == ref["model"]
    assert got["worst_batch"] == ref["worst_batch"]
    assert math.isclose(got["shelf_life"], ref["shelf_life"], rel_tol=1e-7)


def test_horizon_must_be_positive(fixtures_dir):
    data = _load(fixtures_dir, "potency_synthetic.csv")
    with pytest.raises(InputError, match="--horizon"):
        stability.shelf_life(data, lower=95.0, horizon=-3)
