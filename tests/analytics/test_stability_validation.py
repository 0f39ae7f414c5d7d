"""LeBlond, Griffith & Aubuchon (2011) / expirest / JMP figures for exp1 (shared/validation/stability).

Regression figures (intercepts, slopes, F statistics) agree to the 12 digits given. Shelf lives:
evqms solves for the crossing exactly (Brent's method to 1e-12); the references carry their
root finders' error. JMP's 15.844877978 agrees to all 11 digits; the LeBlond/expirest
shelf lives within 2e-6 months; expirest's POIs for the 94.95 limit come from R's uniroot at its
default tolerance (.Machine$double.eps^0.25 = 1.22e-4) and agree within that tolerance.
"""

from __future__ import annotations

import json

import pytest

from evqms.analytics import stability

pytestmark = pytest.mark.validation

UNIROOT_TOL = 1.22e-4
CASES = {"exp1_b2_b5_b7": ["b2", "b5", "b7"], "exp1_b3_b4_b5": ["b3", "b4", "b5"],
         "exp1_b4_b5_b8": ["b4", "b5", "b8"]}  # fmt: skip
POI_KEYS = {"cics": "cics", "dics": "dics", "dids.pmse": "dids_pooled_mse", "dids": "dids_individual"}


@pytest.fixture(scope="module")
def reference(validation_dir):
    folder = validation_dir / "stability"
    return json.loads((folder / "expected.json").read_text()), (folder / "exp1.csv").read_bytes()


def analyse(raw, batches, limit=95.0, **kw):
    return stability.analyze_table(raw, "exp1.csv", time="Month", value="Potency", batch="Batch",
                                   batches=batches, lower=limit, **kw)  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_model_choice_and_regression_figures(reference, case):
    exp, raw = reference
    e = exp[case]
    r = analyse(raw, CASES[case])
    assert r["model"] == e["model"]
    assert r["poolability"]["F_slopes"] == pytest.approx(e["F_batch_x_time"], rel=1e-10)
    assert r["poolability"]["F_intercepts"] == pytest.approx(e["F_batch"], rel=1e-10)
    assert r["F_regression"] == pytest.approx(e["F_regression"], rel=1e-9)
    if "intercept" in e:
        assert all(v == pytest.approx(e["intercept"], rel=1e-11) for v in r["intercepts"].values())
        assert all(v == pytest.approx(e["slope"], rel=1e-11) for v in r["slopes"].values())
    else:
        assert r["intercepts"] == pytest.approx(e["intercepts"], rel=1e-11)
        slopes = e.get("slopes") or dict.fromkeys(CASES[case], e["common_slope"])
        assert r["slopes"] == pytest.approx(slopes, rel=1e-11)
    assert r["worst_batch"] == e.get("worst_batch")


def test_cics_shelf_life(reference):
    exp, raw = reference
    r = analyse(raw, CASES["exp1_b2_b5_b7"])
    assert r["shelf_life"] == pytest.approx(exp["exp1_b2_b5_b7"]["shelf_life_months"], abs=2e-6)
    assert round(r["shelf_life"]) == 26  # LeBlond 2011 Table V


def test_dics_shelf_life(reference):
    exp, raw = reference
    r = analyse(raw, CASES["exp1_b3_b4_b5"])
    assert r["shelf_life"] == pytest.approx(exp["exp1_b3_b4_b5"]["shelf_life_months"], abs=2e-6)
    assert round(r["shelf_life"], 1) == 23.4  # LeBlond 2011 Table VII


def test_dids_shelf_life_both_conventions(reference):
    exp, raw = reference
    e = exp["exp1_b4_b5_b8"]
    pooled = analyse(raw, CASES["exp1_b4_b5_b8"])
    assert pooled["dids_convention"] == "pooled_mse"
    assert pooled["shelf_life"] == pytest.approx(e["shelf_life_months_pooled_mse_dids"], abs=2e-6)
    assert round(pooled["shelf_life"], 1) == 15.6  # LeBlond 2011 Table IX
    individual = analyse(raw, CASES["exp1_b4_b5_b8"], dids_convention="individual")
    assert individual["shelf_life"] == pytest.approx(e["JMP_12.0.1"], abs=1e-8)
    assert individual["shelf_life"] == pytest.approx(
        e["shelf_life_months_individual_batch_fits"], abs=UNIROOT_TOL
    )
    assert individual["worst_batch"] == pooled["worst_batch"] == "b8"
    assert pooled["shelf_life_by_model"]["dids_individual"] == individual["shelf_life"]


@pytest.mark.parametrize("case", CASES)
def test_points_of_intersection_for_every_model_at_94_95(reference, case):
    exp, raw = reference
    e = exp[case]["with_spec_94.95"]
    pois = e.get("POI", e)
    r = analyse(raw, CASES[case], limit=94.95)
    for key, ours in POI_KEYS.items():
        assert r["shelf_life_by_model"][ours] == pytest.approx(pois[key], abs=UNIROOT_TOL), key
