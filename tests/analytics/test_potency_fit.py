"""Fitting: recovery of known parameters from simulated plates, shared parameters, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from evqms.analytics.potency import FitError, fit_dose_response
from evqms.analytics.potency_models import MODELS, curve_value
from evqms.errors import InputError
from evqms.i18n import use_language

DOSES = np.repeat([0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0], 3)


@pytest.fixture(autouse=True)
def english():
    """Messages are matched in English (under pytest-django the active language may be ja)."""
    with use_language("en"):
        yield


def simulate(model, theta, seed, sd=0.05, doses=DOSES):
    rng = np.random.default_rng(seed)
    return curve_value(MODELS[model], doses, theta) + rng.normal(0, sd, doses.size)


@pytest.mark.parametrize(
    ("model", "theta"),
    [
        ("LL4", {"b": 1.3, "c": 0.2, "d": 5.0, "e": 2.0}),
        ("LL4", {"b": -0.9, "c": 1.0, "d": 9.0, "e": 4.0}),
        ("LL3", {"b": 1.1, "d": 4.0, "e": 3.0}),
        ("W1.4", {"b": 1.0, "c": 0.5, "d": 6.0, "e": 5.0}),
        ("W2.4", {"b": -1.2, "c": 0.4, "d": 6.0, "e": 1.5}),
        ("W2.4", {"b": 0.8, "c": 0.4, "d": 6.0, "e": 1.5}),
    ],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fit_recovers_simulated_parameters(model, theta, seed):
    y = simulate(model, theta, seed)
    fit = fit_dose_response(DOSES, y, model=model)
    est, se = fit.estimates("all"), fit.std_errors("all")
    for p, true in theta.items():
        # within 4.5 standard errors (a correct SE makes a miss here a one-in-100000 event)
        assert abs(est[p] - true) < 4.5 * se[p], (p, est[p], true, se[p])
    assert fit.df == DOSES.size - len(theta)
    assert fit.residual_se == pytest.approx(0.05, rel=0.4)


def test_standard_errors_are_calibrated_over_simulations():
    """Across 200 simulated plates the spread of e matches the reported SE (within 15 %)."""
    theta = {"b": 1.5, "c": 0.5, "d": 5.0, "e": 2.0}
    est, ses = [], []
    for seed in range(200):
        fit = fit_dose_response(DOSES, simulate("LL4", theta, seed, sd=0.2), model="LL4")
        est.append(fit.estimates("all")["e"])
        ses.append(fit.std_errors("all")["e"])
    assert np.std(est, ddof=1) == pytest.approx(np.median(ses), rel=0.15)


def test_shared_parameters_are_one_parameter():
    ya = simulate("LL4", {"b": 1.3, "c": 0.2, "d": 5.0, "e": 2.0}, 7)
    yb = simulate("LL4", {"b": 1.3, "c": 0.2, "d": 5.0, "e": 6.0}, 8)
    x = np.concatenate([DOSES, DOSES])
    y = np.concatenate([ya, yb])
    lots = ["A"] * DOSES.size + ["B"] * DOSES.size
    separate = fit_dose_response(x, y, lots, "LL4")
    shared = fit_dose_response(x, y, lots, "LL4", shared=("b", "c", "d"))
    assert separate.df == 48 - 8 and shared.df == 48 - 5
    assert shared.estimates("A")["d"] == shared.estimates("B")["d"]
    assert shared.estimates("A")["e"] != shared.estimates("B")["e"]
    assert shared.layout.labels == ("b", "c", "d", "e:A", "e:B")
    assert shared.rss >= separate.rss
    # each curve alone gives the same estimates as the joint fit with nothing shared
    # (at the exact minimum: drc's BFGS end points depend on the path taken)
    alone = fit_dose_response(DOSES, yb, model="LL4", optimizer="exact")
    exact = fit_dose_response(x, y, lots, "LL4", optimizer="exact")
    for p in "bcde":
        assert exact.estimates("B")[p] == pytest.approx(alone.estimates("all")[p], rel=1e-6)
        assert separate.estimates("B")[p] == pytest.approx(alone.estimates("all")[p], rel=1e-3)
    d = shared.to_dict()
    assert set(d["curves"]) == {"A", "B"} and d["parallelism"]["df1"] == 1


def test_single_dose_curve_is_refused():
    x = np.concatenate([DOSES, np.full(6, 3.0)])
    y = np.concatenate([simulate("LL4", {"b": 1, "c": 0, "d": 5, "e": 2}, 1), np.full(6, 2.0)])
    with pytest.raises(InputError, match="single dose") as err:
        fit_dose_response(x, y, ["A"] * DOSES.size + ["B"] * 6, source="plate.csv")
    assert "plate.csv" in str(err.value) and "curve B" in str(err.value)


def test_too_few_points_for_the_parameters():
    with pytest.raises(InputError, match="too few"):
        fit_dose_response([0, 1, 2, 3], [5, 4, 2, 1], model="LL4")


def test_negative_dose_is_refused():
    with pytest.raises(InputError, match="negative"):
        fit_dose_response([-1, 1, 2, 3, 4, 5], [5, 4, 3, 2, 1, 1])


def test_unknown_model_and_shared_parameter():
    with pytest.raises(InputError, match="unknown model"):
        fit_dose_response(DOSES, simulate("LL4", {"b": 1, "c": 0, "d": 5, "e": 2}, 1), model="LL.9")
    with pytest.raises(InputError, match="unknown shared parameter c"):
        fit_dose_response(
            DOSES, simulate("LL4", {"b": 1, "c": 0, "d": 5, "e": 2}, 1), model="LL3", shared=("c",)
        )


@pytest.mark.parametrize("seed", [0, 1])
def test_flat_response_does_not_converge_to_garbage(seed):
    rng = np.random.default_rng(seed)
    y = 5.0 + rng.normal(0, 0.2, DOSES.size)
    with pytest.raises(FitError, match="converge"):
        fit_dose_response(DOSES, y, model="LL4", source="flat.csv")


def test_fit_error_is_an_input_error():
    assert issubclass(FitError, InputError)


def test_drc_end_point_is_within_drcs_tolerance_of_the_exact_minimum():
    y = simulate("LL4", {"b": 1.3, "c": 0.2, "d": 5.0, "e": 2.0}, 4)
    drc = fit_dose_response(DOSES, y, model="LL4")
    exact = fit_dose_response(DOSES, y, model="LL4", optimizer="exact")
    assert drc.optimizer == "drc" and exact.optimizer == "exact"
    assert exact.rss <= drc.rss <= exact.rss * (1 + 1e-6)
    for p in "bcde":
        assert drc.estimates("all")[p] == pytest.approx(
            exact.estimates("all")[p], abs=0.01 * exact.std_errors("all")[p]
        )
