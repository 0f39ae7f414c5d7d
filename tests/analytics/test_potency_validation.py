"""Against R's drc: ryegrass with LL.4, W2.4 and LL2.4, every printed figure to its printed digits."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pytest

from evqms.analytics.potency import fit_dose_response

pytestmark = pytest.mark.validation


def printed(value: float, reference: float, digits: int | None = None) -> bool:
    """`value` shows as `reference` when printed with the reference's number of decimals
    (drc prints 5 significant decimals; JSON drops trailing zeros, so `digits` can say more)."""
    places = digits if digits is not None else max(-Decimal(repr(reference)).as_tuple().exponent, 0)
    return round(value, places) == pytest.approx(reference, abs=10 ** -(places + 3))


@pytest.fixture(scope="module")
def drc(validation_dir):
    folder = validation_dir / "drc"
    rows = list(csv.DictReader((folder / "ryegrass.csv").open()))
    data = ([float(r["conc"]) for r in rows], [float(r["rootl"]) for r in rows])
    return data, json.loads((folder / "expected.json").read_text())


def check(actual: float, expected: float, digits: int):
    assert printed(actual, expected, digits), f"{actual!r} does not print as {expected}"


def test_ryegrass_ll4_estimates_and_standard_errors(drc):
    (x, y), exp = drc
    ref = exp["ryegrass_LL4"]
    fit = fit_dose_response(x, y, model="LL4")
    est, se = fit.estimates("all"), fit.std_errors("all")
    for p in "bcde":
        check(est[p], ref["estimates"][p], 5)
        check(se[p], ref["std_errors"][p], 5)
        check(est[p] / se[p], ref["t_values"][p], 4)
    check(fit.residual_se, ref["residual_standard_error"], 7)
    assert fit.df == ref["df"] == 20


def test_ryegrass_ll4_p_values(drc):
    from scipy import stats

    (x, y), exp = drc
    ref = exp["ryegrass_LL4"]
    fit = fit_dose_response(x, y, model="LL4")
    for p, expected in ref["p_values"].items():
        t = fit.estimates("all")[p] / fit.std_errors("all")[p]
        pval = 2 * stats.t.sf(abs(t), fit.df)
        assert float(f"{pval:.4g}") == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("level", ["10", "20", "50", "90"])
def test_ryegrass_ll4_ed_delta_intervals(drc, level):
    (x, y), exp = drc
    ref = exp["ryegrass_LL4"]["ED_delta_95"][level]
    ed = fit_dose_response(x, y, model="LL4").ed("all", float(level))
    check(ed["estimate"], ref["estimate"], 5)
    check(ed["se"], ref["se"], 5)
    check(ed["ci"][0], ref["lower"], 5)
    check(ed["ci"][1], ref["upper"], 5)


@pytest.mark.parametrize("level", ["10", "90"])
def test_rising_ryegrass_ed_follows_drc_reference_control(drc, level):
    """A rising curve with drc's published figures: K - rootl is LL.4 with b' = -b, c' = K - d,
    d' = K - c and the same e (1 - g(z) = g(-z)), and the same residuals, Hessian and delta-method
    SEs. With reference = "control" drc measures ED_p from the control asymptote c' upwards, so
    f'(ED_p) = c' + p/100 (d' - c') is f(ED_p) = d - p/100 (d - c): the same dose as drc's ED_p
    of the falling ryegrass fit (ED10 1.46371, SE 0.18677, [1.07411, 1.85330])."""
    (x, y), exp = drc
    ref = exp["ryegrass_LL4"]["ED_delta_95"][level]
    fit = fit_dose_response(x, [10.0 - v for v in y], model="LL4", optimizer="exact")
    assert fit.estimates("all")["b"] == pytest.approx(-2.98222, abs=2e-4)
    ed = fit.ed("all", float(level))
    assert ed["estimate"] == pytest.approx(ref["estimate"], abs=2e-5)
    assert ed["se"] == pytest.approx(ref["se"], abs=2e-5)
    assert ed["ci"][0] == pytest.approx(ref["lower"], abs=2e-5)
    assert ed["ci"][1] == pytest.approx(ref["upper"], abs=2e-5)


def test_ryegrass_w24(drc):
    (x, y), exp = drc
    ref = exp["ryegrass_W2_4"]
    fit = fit_dose_response(x, y, model="W2.4")
    est, se = fit.estimates("all"), fit.std_errors("all")
    assert est["b"] < 0  # drc's W2.4 sign convention: a decreasing curve has b < 0
    for p in "bcde":
        check(est[p], ref["estimates"][p], 5)
        check(se[p], ref["std_errors"][p], 5)
    check(fit.residual_se, ref["residual_standard_error"], 7)
    assert fit.df == ref["df"]


@pytest.mark.parametrize("level", ["10", "50", "90"])
def test_ryegrass_ll2_4_log_scale_ed(drc, level):
    (x, y), exp = drc
    ref = exp["ryegrass_LL2_4_logscale_ED"][level]
    ed = fit_dose_response(x, y, model="LL2.4").ed("all", float(level))
    for key, value in (
        ("estimate", ed["estimate"]),
        ("se", ed["se"]),
        ("lower", ed["ci"][0]),
        ("upper", ed["ci"][1]),
    ):
        check(value, ref[key], 6)


def test_exact_minimum_agrees_with_drc_within_its_convergence_tolerance(drc):
    """The exact least-squares minimum is a hair below drc's end point (RSS within 1e-7
    relative), so its figures agree with drc's to within a unit or two of the last digit."""
    (x, y), exp = drc
    ref = exp["ryegrass_W2_4"]
    fit = fit_dose_response(x, y, model="W2.4", optimizer="exact")
    for p in "bcde":
        assert fit.estimates("all")[p] == pytest.approx(ref["estimates"][p], abs=2e-4)
        assert fit.std_errors("all")[p] == pytest.approx(ref["std_errors"][p], abs=5e-5)
    check(fit.residual_se, ref["residual_standard_error"], 7)
