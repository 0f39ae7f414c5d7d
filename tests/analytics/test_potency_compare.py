"""Relative potency (delta and Fieller), parallelism F test, USP-style relative potency."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evqms.analytics.potency import (
    fieller_interval,
    fit_dose_response,
    relative_potency,
    usp_relative_potency,
)
from evqms.analytics.potency_models import MODELS, curve_value

DOSES = np.repeat([0.0, 0.39, 0.78, 1.56, 3.125, 6.25, 12.5, 25.0], 3)  # 8 doses x 3 replicates


def plate(e_test, b_test=-1.4, seed=0, sd=20.0, b_ref=-1.4, e_ref=5.0):
    rng = np.random.default_rng(seed)
    y = []
    for b, e in ((b_ref, e_ref), (b_test, e_test)):
        mean = curve_value(MODELS["LL4"], DOSES, {"b": b, "c": 120.0, "d": 980.0, "e": e})
        y.append(mean + rng.normal(0, sd, DOSES.size))
    return np.concatenate([DOSES, DOSES]), np.concatenate(y), ["REF"] * DOSES.size + ["TEST"] * DOSES.size


@settings(max_examples=200, deadline=None)
@given(
    a=st.floats(0.5, 50.0),
    b=st.floats(0.5, 50.0),
    rel_sa=st.floats(0.001, 0.3),
    rel_sb=st.floats(0.001, 0.25),
    rho=st.floats(-0.9, 0.9),
)
def test_fieller_contains_ratio_and_matches_its_quadratic(a, b, rel_sa, rel_sb, rho):
    va, vb = (rel_sa * a) ** 2, (rel_sb * b) ** 2
    cov = rho * np.sqrt(va * vb)
    t = 2.01
    ci = fieller_interval(a, b, va, vb, cov, t)
    if ci is None:
        assert t * t * vb / b**2 >= 1
        return
    lo, hi = ci
    assert lo <= a / b <= hi  # contains the delta interval's centre
    for r in (lo, hi):  # the ends are where the pivot equals t
        assert (a - r * b) ** 2 == pytest.approx(t * t * (va - 2 * r * cov + r * r * vb), rel=1e-6, abs=1e-9)


def test_fieller_unbounded_when_denominator_is_not_significant():
    assert fieller_interval(1.0, 0.1, 0.01, 0.01, 0.0, 2.0) is None


def test_fieller_is_wider_above_than_delta_for_an_imprecise_denominator():
    a, b, va, vb = 10.0, 5.0, 0.25, 1.0
    lo, hi = fieller_interval(a, b, va, vb, 0.0, 2.0)
    r = a / b
    se = np.sqrt(va / b**2 + vb * a**2 / b**4)
    # Fieller is skewed towards larger ratios: the upper half is longer than the lower
    assert hi - r > r - lo
    assert hi > r + 2.0 * se
    # and with a precise denominator it tends to the delta interval
    lo2, hi2 = fieller_interval(a, b, va, 1e-10, 0.0, 2.0)
    assert lo2 == pytest.approx(r - 2.0 * np.sqrt(va) / b, rel=1e-6)
    assert hi2 == pytest.approx(r + 2.0 * np.sqrt(va) / b, rel=1e-6)


def test_relative_potency_recovers_the_shift_and_intervals_cover_it():
    hits, n = 0, 40
    for seed in range(n):
        x, y, lots = plate(e_test=3.125, seed=seed)
        fit = fit_dose_response(x, y, lots, "LL4", shared=("b", "c", "d"))
        rp = relative_potency(fit, "TEST", "REF")
        lo, hi = rp["fieller_ci"]
        assert lo <= rp["estimate"] <= hi
        assert rp["delta_ci"][0] < rp["estimate"] < rp["delta_ci"][1]
        hits += lo <= 1.6 <= hi
    assert rp["estimate"] == pytest.approx(1.6, rel=0.1)
    assert hits >= 34  # nominal 95 % coverage: 38 of 40 expected


def test_ratio_and_potency_are_reciprocal_in_to_dict():
    x, y, lots = plate(e_test=2.5, seed=11)
    d = fit_dose_response(x, y, lots, "LL4", shared=("c", "d")).to_dict(reference="REF")
    (comp,) = d["comparisons"]
    assert comp["curve"] == "TEST" and comp["reference"] == "REF"
    assert comp["ed50_ratio"]["estimate"] * comp["relative_potency"]["estimate"] == pytest.approx(1.0)
    assert comp["ed50_ratio"]["estimate"] == pytest.approx(
        d["ed"]["TEST"]["50"]["estimate"] / d["ed"]["REF"]["50"]["estimate"]
    )


def test_parallelism_f_test_separates_parallel_from_non_parallel():
    p_parallel, p_steeper = [], []
    for seed in range(20):
        x, y, lots = plate(e_test=3.0, seed=seed)
        p_parallel.append(fit_dose_response(x, y, lots, "LL4").to_dict()["parallelism"]["p"])
        x, y, lots = plate(e_test=3.0, b_test=-3.0, seed=seed)
        p_steeper.append(fit_dose_response(x, y, lots, "LL4").to_dict()["parallelism"]["p"])
    assert max(p_steeper) < 1e-4
    assert sum(p < 0.05 for p in p_parallel) <= 3  # about 1 in 20 by chance
    assert np.median(p_parallel) > 0.2


def test_parallelism_f_statistic_from_the_two_fits():
    x, y, lots = plate(e_test=3.0, b_test=-2.0, seed=5)
    full = fit_dose_response(x, y, lots, "LL4")
    reduced = fit_dose_response(x, y, lots, "LL4", shared=("b",))
    par = full.to_dict()["parallelism"]
    assert par["df1"] == 1 and par["df2"] == full.df == 48 - 8
    assert par["F"] == pytest.approx((reduced.rss - full.rss) / (full.rss / full.df))
    # the same test whichever of the two fits it is asked from
    assert reduced.to_dict()["parallelism"]["F"] == pytest.approx(par["F"])


def test_usp_relative_potency_of_a_test_lot():
    x, y, lots = plate(e_test=2.5, seed=3)
    res = usp_relative_potency(x, y, lots, reference="REF", test="TEST")
    assert res.potency["estimate"] == pytest.approx(2.0, rel=0.1)
    assert res.log_ci[0] < res.potency["estimate"] < res.log_ci[1]
    assert res.parallelism["df1"] == 3 and res.parallelism["p"] > 0.01
    assert res.constrained.layout.labels == ("b", "c", "d", "e:REF", "e:TEST")
    # for parallel curves the potency is the ratio of the e parameters
    est = res.constrained
    assert res.potency["estimate"] == pytest.approx(est.estimates("REF")["e"] / est.estimates("TEST")["e"])
    assert res.to_dict()["relative_potency"]["fieller_ci"] is not None


def test_usp_relative_potency_flags_non_parallel_lots():
    x, y, lots = plate(e_test=2.5, b_test=-4.0, seed=3)
    res = usp_relative_potency(x, y, lots, reference="REF", test="TEST")
    assert res.parallelism["p"] < 1e-4
