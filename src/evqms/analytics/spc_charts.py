"""Shewhart control-chart statistics, sigma estimates and limits, as R's qcc 2.7 computes them.

Pure numpy/scipy. Phase I (calibration) subgroups give the centre and sigma; the limits then
apply to every subgroup, calibration and monitoring (phase II) alike, with per-subgroup limits
when subgroup sizes vary. Each chart also returns the standard error of every plotted
statistic (before limits are clipped to 0 or 1) so that run rules can work in sigma zones.

Conventions kept from qcc on purpose, so that results match it figure for figure:
- d2 is qcc's 3-decimal table (`exp.R.unscaled`); d3 is qcc's `se.R.unscaled` table, whose
  values differ from the exact integrals in the 6th decimal (e.g. d3(5) = 0.8640855, exact
  0.8640819); the reference limits depend on it.
- X-bar sigma: UWAVE-R, mean(R_i / d2(n_i)); qcc switches to RMSDF when any n > 25.
- S chart sigma: UWAVE-SD, mean(S_i / c4(n_i)).
- R and S charts: centre = size-weighted mean of the calibration statistics, limits
  centre +/- k * d3(n) * sigma (R) or centre +/- k * sigma * sqrt(1 - c4(n)^2) (S), floored at 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

# qcc.options("exp.R.unscaled")[2:25]: d2, expected relative range, qcc's 3-decimal table.
D2 = {
    2: 1.128, 3: 1.693, 4: 2.059, 5: 2.326, 6: 2.534, 7: 2.704, 8: 2.847, 9: 2.970, 10: 3.078,
    11: 3.173, 12: 3.258, 13: 3.336, 14: 3.407, 15: 3.472, 16: 3.532, 17: 3.588, 18: 3.640,
    19: 3.689, 20: 3.735, 21: 3.778, 22: 3.819, 23: 3.858, 24: 3.895, 25: 3.931,
}  # fmt: skip
# qcc.options("se.R.unscaled")[2:25]: d3, standard deviation of the relative range (qcc's table).
D3 = {
    2: 0.8525033, 3: 0.8883697, 4: 0.8798108, 5: 0.8640855, 6: 0.8480442, 7: 0.8332108,
    8: 0.8198378, 9: 0.8078413, 10: 0.7970584, 11: 0.7873230, 12: 0.7784873, 13: 0.7704257,
    14: 0.7630330, 15: 0.7562217, 16: 0.7499188, 17: 0.7440627, 18: 0.7386021, 19: 0.7334929,
    20: 0.7286980, 21: 0.7241851, 22: 0.7199267, 23: 0.7158987, 24: 0.7120802, 25: 0.7084528,
}  # fmt: skip
MAX_RANGE_SIZE = 25

VARIABLE_CHARTS = ("xbar", "r", "s")
ATTRIBUTE_CHARTS = ("p", "np", "c", "u")
CHARTS = ("xbar", "r", "s", "i", "p", "np", "c", "u")
SIGMA_METHODS = ("UWAVE-R", "UWAVE-SD", "MVLUE-R", "MVLUE-SD", "RMSDF")


def c4(n):
    """Unbiasing constant of the sample standard deviation for samples of size n."""
    n = np.asarray(n, dtype=float)
    return np.sqrt(2.0 / (n - 1.0)) * np.exp(gammaln(n / 2.0) - gammaln((n - 1.0) / 2.0))


def _table(table: dict[int, float], sizes: np.ndarray) -> np.ndarray:
    return np.array([table[int(n)] for n in sizes], dtype=float)


@dataclass(frozen=True)
class ChartComputation:
    """Everything a chart needs per point; arrays have one entry per subgroup (or individual)."""

    chart: str
    statistics: np.ndarray
    sizes: np.ndarray
    center: np.ndarray
    lcl: np.ndarray
    ucl: np.ndarray
    se: np.ndarray  # standard error of each statistic, for sigma zones
    sigma: float | np.ndarray
    std_dev_method: str
    nsigmas: float


def subgroup_sigma(groups: list[np.ndarray], method: str) -> float:
    """Process sigma from within-subgroup variation (qcc's sd.xbar)."""
    sizes = np.array([len(g) for g in groups])
    if method in ("UWAVE-R", "MVLUE-R"):
        ranges = np.array([np.ptp(g) for g in groups])
        d2 = _table(D2, sizes)
        if method == "UWAVE-R":
            return float(np.mean(ranges / d2))
        d3 = _table(D3, sizes)
        w = (d2 / d3) ** 2
        return float(np.sum(w * ranges / d2) / np.sum(w))
    sds = np.array([np.std(g, ddof=1) for g in groups])
    cc = c4(sizes)
    if method == "UWAVE-SD":
        return float(np.mean(sds / cc))
    if method == "MVLUE-SD":
        h = cc**2 / (1 - cc**2)
        return float(np.sum(h * sds / cc) / np.sum(h))
    if method == "RMSDF":
        w = sizes - 1
        return float(np.sqrt(np.sum(w * sds**2) / np.sum(w)) / c4(np.sum(w) + 1))
    raise ValueError(f"unknown sigma method {method}")


def default_sigma_method(chart: str, calibration_sizes: np.ndarray) -> str:
    if chart == "s":
        return "UWAVE-SD"
    if chart == "xbar" and np.any(calibration_sizes > MAX_RANGE_SIZE):
        return "RMSDF"  # as qcc 2.7: no d2 table beyond 25
    return "UWAVE-R"


def variables_chart(
    chart: str, groups: list[np.ndarray], calibration: np.ndarray, nsigmas: float = 3.0,
    sigma_method: str | None = None,
) -> ChartComputation:  # fmt: skip
    """X-bar, R or S chart from subgroups; `calibration` is a boolean mask over subgroups."""
    sizes = np.array([len(g) for g in groups])
    cal_groups = [g for g, c in zip(groups, calibration, strict=True) if c]
    cal_sizes = sizes[calibration]
    method = sigma_method or default_sigma_method(chart, cal_sizes)
    sigma = subgroup_sigma(cal_groups, method)
    if chart == "xbar":
        stats = np.array([np.mean(g) for g in groups])
        se = sigma / np.sqrt(sizes)
    elif chart == "r":
        stats = np.array([np.ptp(g) for g in groups])
        se = sigma * _table(D3, sizes)
    elif chart == "s":
        stats = np.array([np.std(g, ddof=1) for g in groups])
        se = sigma * np.sqrt(1 - c4(sizes) ** 2)
    else:
        raise ValueError(chart)
    center_value = float(np.sum(cal_sizes * stats[calibration]) / np.sum(cal_sizes))
    center = np.full(len(groups), center_value)
    lcl = center - nsigmas * se
    ucl = center + nsigmas * se
    if chart in ("r", "s"):
        lcl = np.maximum(lcl, 0.0)
    return ChartComputation(chart, stats, sizes, center, lcl, ucl, se, sigma, method, nsigmas)


def individuals_chart(values: np.ndarray, calibration: np.ndarray, nsigmas: float = 3.0) -> ChartComputation:
    """Individuals chart (qcc 'xbar.one'): sigma = mean moving range of 2 / d2(2)."""
    cal = values[calibration]
    # qcc takes moving ranges between consecutive calibration values
    sigma = float(np.mean(np.abs(np.diff(cal))) / D2[2])
    n = len(values)
    center = np.full(n, float(np.mean(cal)))
    se = np.full(n, sigma)
    return ChartComputation(
        "i", values.astype(float), np.ones(n, dtype=int), center, center - nsigmas * se,
        center + nsigmas * se, se, sigma, "MR", nsigmas,
    )  # fmt: skip


def moving_range_limits(values: np.ndarray, calibration: np.ndarray, nsigmas: float = 3.0) -> dict:
    """Moving-range companion of the individuals chart: centre MR-bar, UCL MR-bar + k d3(2) sigma."""
    cal = values[calibration]
    mr_bar = float(np.mean(np.abs(np.diff(cal))))
    sigma = mr_bar / D2[2]
    mr = np.abs(np.diff(values))
    ucl = mr_bar + nsigmas * D3[2] * sigma
    lcl = max(0.0, mr_bar - nsigmas * D3[2] * sigma)
    beyond = [int(i) + 2 for i in np.flatnonzero((mr > ucl) | (mr < lcl))]  # 1-based index of later point
    return {"center": mr_bar, "lcl": lcl, "ucl": ucl, "values": mr.tolist(), "beyond_limits": beyond}


def attribute_chart(
    chart: str, counts: np.ndarray, sizes: np.ndarray, calibration: np.ndarray, nsigmas: float = 3.0
) -> ChartComputation:
    """p, np, c or u chart; `sizes` are units inspected (p, np) or inspection units (u, c)."""
    counts = counts.astype(float)
    sizes = sizes.astype(float)
    cal_counts, cal_sizes = counts[calibration], sizes[calibration]
    n = len(counts)
    if chart in ("p", "np"):
        pbar = float(np.sum(cal_counts) / np.sum(cal_sizes))
        sigma_p = np.sqrt(pbar * (1 - pbar))
        if chart == "p":
            stats = counts / sizes
            center = np.full(n, pbar)
            se = sigma_p / np.sqrt(sizes)
            upper_bound = np.ones(n)
        else:
            stats = counts
            center = sizes * pbar
            se = np.sqrt(sizes) * sigma_p
            upper_bound = sizes
        lcl = np.maximum(center - nsigmas * se, 0.0)
        ucl = np.minimum(center + nsigmas * se, upper_bound)
        sigma: float | np.ndarray = float(sigma_p) if chart == "p" else se
        return ChartComputation(chart, stats, sizes, center, lcl, ucl, se, sigma, "binomial", nsigmas)
    if chart == "c":
        cbar = float(np.mean(cal_counts))
        center = np.full(n, cbar)
        se = np.full(n, np.sqrt(cbar))
        return ChartComputation(
            chart, counts, sizes, center, np.maximum(center - nsigmas * se, 0.0), center + nsigmas * se,
            se, float(np.sqrt(cbar)), "poisson", nsigmas,
        )  # fmt: skip
    if chart == "u":
        ubar = float(np.sum(cal_counts) / np.sum(cal_sizes))
        stats = counts / sizes
        center = np.full(n, ubar)
        se = np.sqrt(ubar / sizes)
        return ChartComputation(
            chart, stats, sizes, center, np.maximum(center - nsigmas * se, 0.0), center + nsigmas * se,
            se, float(np.sqrt(ubar)), "poisson", nsigmas,
        )  # fmt: skip
    raise ValueError(chart)
