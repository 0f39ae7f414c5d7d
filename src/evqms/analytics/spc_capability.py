"""Process capability indices with confidence intervals, as qcc's process.capability prints them.

x: the phase I (calibration) observations; centre and sigma come from the control chart.
  Cp = (USL - LSL) / (2 k sigma); Cp_l = (centre - LSL) / (k sigma); Cp_u = (USL - centre) / (k sigma)
  Cp_k = min(Cp_l, Cp_u); Cpm = Cp / sqrt(1 + ((centre - target) / sigma)^2)
Intervals (n = number of observations, alpha = 1 - confidence):
  Cp: Cp * sqrt(chi2(alpha/2 and 1-alpha/2; n-1) / (n-1))
  Cp_l, Cp_u: x (1 -/+ z * sqrt(1/(9 n x^2) + 1/(2(n-1)))) with z = qnorm(confidence); qcc uses
    the one-sided quantile here (and only here), reproduced so the figures agree with qcc;
  Cp_k: the same with z = qnorm(1 - alpha/2) (Bissell 1990);
  Cpm: chi-square with df = n (1 + d^2) / (1 + 2 d^2), d = (centre - target) / sigma.
A side without a specification limit gives null for the indices that need it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def _interval(value: float | None, lower: float | None, upper: float | None) -> dict | None:
    if value is None:
        return None
    return {"value": value, "lower": lower, "upper": upper}


def _one_sided_index(value: float, n: int, z: float) -> dict:
    half = z * math.sqrt(1.0 / (9.0 * n * value**2) + 1.0 / (2.0 * (n - 1)))
    return _interval(value, value * (1 - half), value * (1 + half))


def capability(
    x, center: float, sigma: float, *, lsl: float | None = None, usl: float | None = None,
    target: float | None = None, nsigmas: float = 3.0, confidence: float = 0.95,
) -> dict:  # fmt: skip
    x = np.asarray(x, dtype=float)
    n = int(x.size)
    alpha = 1.0 - confidence
    if target is None and lsl is not None and usl is not None:
        target = (lsl + usl) / 2.0
    chi_lo, chi_hi = stats.chi2.ppf([alpha / 2, 1 - alpha / 2], n - 1)
    out: dict = {"n": n, "center": center, "sigma": sigma, "lsl": lsl, "usl": usl, "target": target,
                 "confidence": confidence}  # fmt: skip
    cp = cp_l = cp_u = cp_k = cpm = None
    if lsl is not None and usl is not None:
        v = (usl - lsl) / (2 * nsigmas * sigma)
        cp = _interval(v, v * math.sqrt(chi_lo / (n - 1)), v * math.sqrt(chi_hi / (n - 1)))
    z_one = float(stats.norm.ppf(confidence))
    z_two = float(stats.norm.ppf(1 - alpha / 2))
    if lsl is not None:
        cp_l = _one_sided_index((center - lsl) / (nsigmas * sigma), n, z_one)
    if usl is not None:
        cp_u = _one_sided_index((usl - center) / (nsigmas * sigma), n, z_one)
    sides = [c["value"] for c in (cp_l, cp_u) if c is not None]
    if sides:
        cp_k = _one_sided_index(min(sides), n, z_two)
    if cp is not None and target is not None:
        d = (center - target) / sigma
        v = cp["value"] / math.sqrt(1 + d**2)
        df = n * (1 + d**2) / (1 + 2 * d**2)
        lo, hi = stats.chi2.ppf([alpha / 2, 1 - alpha / 2], df)
        cpm = _interval(v, v * math.sqrt(lo / df), v * math.sqrt(hi / df))
    out.update({"Cp": cp, "Cp_l": cp_l, "Cp_u": cp_u, "Cp_k": cp_k, "Cpm": cpm})
    # expected (normal model) and observed percentages outside the specification
    out["exp_below_lsl_pct"] = None if lsl is None else float(stats.norm.cdf((lsl - center) / sigma) * 100)
    out["exp_above_usl_pct"] = None if usl is None else float(stats.norm.sf((usl - center) / sigma) * 100)
    out["obs_below_lsl_pct"] = None if lsl is None else float(np.sum(x < lsl) / n * 100)
    out["obs_above_usl_pct"] = None if usl is None else float(np.sum(x > usl) / n * 100)
    return out
