"""Model functions: analytic derivatives against numerical ones, ED definition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evqms.analytics.potency_models import MODELS, PARAMS, ed_dose, evaluate, get_model
from evqms.analytics.potency_problem import Layout, Problem

DOSES = np.array([0.0, 0.3, 1.0, 2.0, 4.0, 8.0, 16.0, 40.0])
THETAS = {
    "LL4": {"b": 1.7, "c": 0.4, "d": 7.5, "e": 3.2},
    "LL3": {"b": -1.2, "d": 90.0, "e": 5.0},
    "LL2.4": {"b": 2.2, "c": 1.0, "d": 8.0, "e": 1.1},
    "W1.4": {"b": 1.9, "c": 0.3, "d": 6.0, "e": 4.0},
    "W2.4": {"b": -1.6, "c": 0.6, "d": 7.7, "e": 2.5},
}


def _numeric_jacobian(model, x, theta, h=1e-6):
    cols = []
    for p in PARAMS:
        if p not in model.params:
            cols.append(np.zeros(x.size))
            continue
        up, dn = dict(theta), dict(theta)
        step = h * max(1.0, abs(theta[p]))
        up[p] += step
        dn[p] -= step
        cols.append((evaluate(model, x, up, 0)[0] - evaluate(model, x, dn, 0)[0]) / (2 * step))
    return np.column_stack(cols)


@pytest.mark.parametrize("name", sorted(THETAS))
def test_analytic_gradient_matches_numerical(name):
    model = MODELS[name]
    _, jac, _ = evaluate(model, DOSES, THETAS[name], 1)
    cols = [PARAMS.index(p) for p in model.params]
    num = _numeric_jacobian(model, DOSES, THETAS[name])
    np.testing.assert_allclose(jac[:, cols], num[:, cols], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(THETAS))
def test_analytic_rss_hessian_matches_finite_differences_of_gradient(name):
    """The full Hessian of RSS (what drc's standard errors use) against central differences
    of the analytic gradient, at a point that is not the minimum (so the residual term counts)."""
    model = MODELS[name]
    rng = np.random.default_rng(3)
    y = evaluate(model, DOSES, THETAS[name], 0)[0] + rng.normal(0, 0.3, DOSES.size)
    layout = Layout.build(model, ("all",), ())
    problem = Problem(layout, DOSES, y, np.array(["all"] * DOSES.size, dtype=object))
    theta = np.array([THETAS[name][p] for p in model.params])
    h, grad, _ = problem.half_hessian(theta)
    num = np.zeros_like(h)
    for i in range(theta.size):
        step = 1e-6 * max(1.0, abs(theta[i]))
        up, dn = theta.copy(), theta.copy()
        up[i] += step
        dn[i] -= step
        num[i] = (problem.half_hessian(up)[1] - problem.half_hessian(dn)[1]) / (2 * step)
    np.testing.assert_allclose(h, num, rtol=1e-6, atol=1e-6 * np.abs(h).max())
    # and the residual term matters: J'J alone is a different matrix
    _, jac, _ = problem.parts(theta, 1)
    assert not np.allclose(h, jac.T @ jac, rtol=1e-3)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(THETAS)),
    p=st.floats(min_value=1.0, max_value=99.0),
    b=st.floats(min_value=0.3, max_value=5.0),
    negative=st.booleans(),
)
def test_ed_is_where_response_has_moved_p_percent_from_the_control_asymptote(name, p, b, negative):
    """drc's ED(type = "relative", reference = "control"): p % of the way from the response at
    dose 0 towards the other asymptote, whichever way the curve goes."""
    model = MODELS[name]
    theta = dict(THETAS[name])
    theta["b"] = -b if negative else b
    dose, _ = ed_dose(model, theta, p)
    full = {**model.fixed, **theta}
    control = evaluate(model, np.array([0.0]), theta, 0)[0][0]
    other = full["c"] + full["d"] - control
    expected = control + p / 100.0 * (other - control)
    assert evaluate(model, np.array([dose]), theta, 0)[0][0] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_rising_ll4_ed10_is_near_the_lower_asymptote_as_drc_defines_it():
    """Reference: drc's ED() by hand. For LL.4, f(x) = c + (d-c)/(1+exp(b(log x - log e))); with
    reference = "control" and b < 0 drc's EDhelper replaces p by 100 - p, and llogistic's edfct
    gives ED_p = e * (p'/(100-p'))^(1/b) with p' = 100 - p, i.e. e * ((100-p)/p)^(1/b): the dose
    where f = c + p/100 (d-c). With b = -2, c = 1, d = 9, e = 3: ED10 = 3 * 9^(-1/2) = 1 (f = 1.8),
    ED90 = 3 * (1/9)^(-1/2) = 9 (f = 8.2), ED50 = e = 3."""
    model = MODELS["LL4"]
    theta = {"b": -2.0, "c": 1.0, "d": 9.0, "e": 3.0}
    assert ed_dose(model, theta, 10)[0] == pytest.approx(1.0, rel=1e-12)
    assert ed_dose(model, theta, 90)[0] == pytest.approx(9.0, rel=1e-12)
    assert ed_dose(model, theta, 50)[0] == pytest.approx(3.0, rel=1e-12)
    assert evaluate(model, np.array([1.0]), theta, 0)[0][0] == pytest.approx(1.8, rel=1e-12)
    # the falling mirror image (b = 2) keeps drc's usual reading: ED10 = 3 * (1/9)^(1/2) = 1
    assert ed_dose(model, {**theta, "b": 2.0}, 10)[0] == pytest.approx(1.0, rel=1e-12)


def test_dose_zero_gives_the_asymptote_without_nan():
    for name, theta in THETAS.items():
        model = MODELS[name]
        f, jac, hes = evaluate(model, np.array([0.0]), theta, 2)
        assert np.all(np.isfinite(jac)) and np.all(np.isfinite(hes))
        full = {**model.fixed, **theta}
        at_zero = full["d"] if (theta["b"] > 0) == (model.family != "w2") else full["c"]
        assert f[0] == pytest.approx(at_zero)


def test_model_aliases():
    assert get_model("LL.4").name == "LL4"
    assert get_model("w2.4").name == "W2.4"
    assert get_model("LL3").params == ("b", "d", "e")
    assert get_model("LL.5") is None
