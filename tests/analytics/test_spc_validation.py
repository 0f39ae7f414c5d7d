"""qcc 2.7 reference figures for Montgomery's piston rings (shared/validation/qcc/expected.json).

Chart figures are compared at the 7 significant digits R prints; capability indices at the 4
significant digits qcc's process.capability prints; percentages outside the specification
rounded to whole percent as qcc shows them.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from evqms.analytics import spc

pytestmark = pytest.mark.validation


def signif(x: float, digits: int) -> Decimal:
    if x == 0:
        return Decimal(0)
    return round(Decimal(repr(float(x))), digits - Decimal(repr(abs(float(x)))).adjusted() - 1)


def same(actual, expected, digits):
    assert signif(actual, digits) == signif(expected, digits), (actual, expected)


@pytest.fixture(scope="module")
def qcc(validation_dir):
    folder = validation_dir / "qcc"
    return json.loads((folder / "expected.json").read_text()), (folder / "pistonrings.csv").read_bytes()


def chart(data, kind, **kw):
    return spc.analyze_table(data, "pistonrings.csv", chart=kind, value="diameter", subgroup="sample",
                             calibration="1-25", **kw)  # fmt: skip


def test_xbar_phase_one(qcc):
    exp, data = qcc
    e = exp["pistonrings_xbar_phaseI"]
    r = chart(data, "xbar")
    assert r["std_dev_method"] == "UWAVE-R"
    same(r["center"], e["center"], 7)
    same(r["sigma"], e["std_dev"], 7)
    same(r["lcl"], e["LCL"], 7)
    same(r["ucl"], e["UCL"], 7)


def test_xbar_two_sigma_limits_and_points_beyond(qcc):
    exp, data = qcc
    e = exp["pistonrings_xbar_phaseI"]["nsigmas_2"]
    r = chart(data, "xbar", nsigmas=2)
    same(r["lcl"], e["LCL"], 7)
    same(r["ucl"], e["UCL"], 7)
    phase1 = r["points"][:25]
    above = [p["index"] - 1 for p in phase1 if p["beyond_limits"] and p["value"] > r["ucl"]]
    below = [p["index"] - 1 for p in phase1 if p["beyond_limits"] and p["value"] < r["lcl"]]
    assert above == e["beyond_limits_0based"]["UCL"]
    assert below == e["beyond_limits_0based"]["LCL"]


def test_r_chart(qcc):
    exp, data = qcc
    e = exp["pistonrings_R_chart"]
    r = chart(data, "r")
    for key, ref in (("center", "center"), ("sigma", "std_dev"), ("lcl", "LCL"), ("ucl", "UCL")):
        same(r[key], e[ref], 7)


def test_s_chart(qcc):
    exp, data = qcc
    e = exp["pistonrings_S_chart"]
    r = chart(data, "s")
    assert r["std_dev_method"] == "UWAVE-SD"
    for key, ref in (("center", "center"), ("sigma", "std_dev"), ("lcl", "LCL"), ("ucl", "UCL")):
        same(r[key], e[ref], 7)


def check_indices(cap, expected):
    for name in ("Cp", "Cp_l", "Cp_u", "Cp_k", "Cpm"):
        got = cap[name]
        for actual, ref in zip((got["value"], got["lower"], got["upper"]), expected[name], strict=True):
            same(actual, ref, 4)


def test_capability(qcc):
    exp, data = qcc
    e = exp["pistonrings_capability"]
    cap = chart(data, "xbar", lsl=73.95, usl=74.05)["capability"]
    assert cap["n"] == 125
    assert cap["target"] == pytest.approx(74.0)
    check_indices(cap, e)


def test_capability_off_target(qcc):
    exp, data = qcc
    cap = chart(data, "xbar", lsl=73.95, usl=74.05, target=74.02)["capability"]
    got = cap["Cpm"]
    for actual, ref in zip((got["value"], got["lower"], got["upper"]), exp["pistonrings_capability"]["target_74.02_Cpm"],
                           strict=True):  # fmt: skip
        same(actual, ref, 4)


def test_capability_narrow_specification(qcc):
    exp, data = qcc
    e = exp["pistonrings_capability"]["spec_73.99_74.01"]
    cap = chart(data, "xbar", lsl=73.99, usl=74.01)["capability"]
    check_indices(cap, e)
    assert round(cap["exp_below_lsl_pct"]) == e["exp_below_LSL_pct"]
    assert round(cap["exp_above_usl_pct"]) == e["exp_above_USL_pct"]
    assert round(cap["obs_below_lsl_pct"]) == e["obs_below_LSL_pct"]
    assert round(cap["obs_above_usl_pct"]) == e["obs_above_USL_pct"]


def test_legacy_rmsdf_sigma_reproduces_scrucca_2004(qcc):
    """qcc 2004 used the RMSDF sigma; with it the capability figures of the R News paper follow."""
    import numpy as np

    from evqms.analytics import spc_capability, spc_charts

    exp, data = qcc
    columns, _ = spc.read_csv_columns(data, "pistonrings.csv", ["diameter"], ["sample"])
    values = np.array(columns["diameter"])
    labels = np.array(columns["sample"])
    groups = [values[labels == s] for s in dict.fromkeys(columns["sample"])][:25]
    sigma = spc_charts.subgroup_sigma(groups, "RMSDF")
    x = np.concatenate(groups)
    cap = spc_capability.capability(x, float(np.mean(x)), sigma, lsl=73.95, usl=74.05)
    legacy = dict(exp["pistonrings_capability"]["legacy_2004_values_with_RMSDF_sd"])
    legacy.pop("src")
    check_indices(cap, legacy)
