"""Size statistics of a particle-size histogram, computed the way the NTA instruments do.

Pure numpy. Every function takes bin centres and weights (counts or concentrations) in any
order: they are sorted by centre first, so the result depends on the histogram, not on how the
rows were listed. The conventions (checked against the instruments' own printed figures):

- mean and SD are weighted by the bin's weight; `ddof=1` gives the "n-1" SD that ZetaView
  states for its number distribution (weights are whole particle counts there). NanoSight
  weights are concentrations, for which n-1 means nothing, so it uses `ddof=0`.
- percentiles interpolate the cumulative distribution linearly against one point per bin:
  its centre (ZetaView), its upper edge (NanoSight NTA 3.3/3.4) or its lower edge (NTA 3.2).
- NanoSight's mode is the vertex of the parabola through the highest bin and its neighbours.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

PERCENTILE_ANCHORS = ("centre", "upper", "lower")


@dataclass(frozen=True)
class SizeStats:
    """Headline size figures in nm (None where a figure cannot be had, e.g. no particles)."""

    mean: float | None
    mode: float | None
    sd: float | None
    d10: float | None
    d50: float | None
    d90: float | None

    FIELDS = ("mean", "mode", "sd", "d10", "d50", "d90")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def empty(cls) -> SizeStats:
        return cls(None, None, None, None, None, None)


def sorted_histogram(centres: Sequence[float], weights: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Bins ordered by centre (a stable sort, so equal centres keep their order)."""
    c = np.asarray(centres, dtype=float)
    w = np.asarray(weights, dtype=float)
    if c.shape != w.shape or c.ndim != 1:
        raise ValueError("centres and weights must be one-dimensional and of the same length")
    order = np.argsort(c, kind="stable")
    return c[order], w[order]


def total(weights: Sequence[float]) -> float:
    return float(np.sum(np.asarray(weights, dtype=float)))


def weighted_mean_sd(centres, weights, ddof: int = 0) -> tuple[float, float]:
    """Weighted mean and SD; with ddof=1 the SD divides by (sum of weights - 1)."""
    c = np.asarray(centres, dtype=float)
    w = np.asarray(weights, dtype=float)
    n = float(w.sum())
    if n <= 0:
        raise ValueError("no particles")
    mean = float((c * w).sum() / n)
    denom = n - ddof
    sd = math.sqrt(float(((c - mean) ** 2 * w).sum()) / denom) if denom > 0 else math.nan
    return mean, sd


def _bin_width(c: np.ndarray) -> np.ndarray:
    """Width of each bin from the spacing of the centres (the edges lie half-way between)."""
    if len(c) < 2:
        return np.ones_like(c)
    gaps = np.diff(c)
    left = np.concatenate([[gaps[0]], gaps])
    right = np.concatenate([gaps, [gaps[-1]]])
    return (left + right) / 2


def anchor_points(c: np.ndarray, anchor: str) -> np.ndarray:
    """The size each bin's cumulative fraction is assigned to."""
    if anchor == "centre":
        return c
    half = _bin_width(c) / 2
    if anchor == "upper":
        return c + half
    if anchor == "lower":
        return c - half
    raise ValueError(f"anchor must be one of {PERCENTILE_ANCHORS}")


def percentile(centres, weights, fraction: float, anchor: str = "centre") -> float:
    """Size below which `fraction` (0..1) of the weight lies, by linear interpolation of the
    cumulative distribution between the anchor points of consecutive bins."""
    c, w = sorted_histogram(centres, weights)
    return _percentiles_sorted(c, w, (fraction,), anchor)[0]


def _percentiles_sorted(c: np.ndarray, w: np.ndarray, fractions, anchor: str) -> list[float]:
    n = float(w.sum())
    if n <= 0:
        raise ValueError("no particles")
    cum = np.cumsum(w) / n
    x = anchor_points(c, anchor)
    out = []
    for p in fractions:
        # First bin whose cumulative fraction reaches p (a small tolerance absorbs float sums).
        j = int(np.searchsorted(cum, p - 1e-12, side="left"))
        j = min(j, len(c) - 1)
        if j == 0 or cum[j] <= cum[j - 1]:
            out.append(float(x[j]))
            continue
        t = (p - cum[j - 1]) / (cum[j] - cum[j - 1])
        out.append(float(x[j - 1] + t * (x[j] - x[j - 1])))
    return out


def parabolic_mode(centres, weights) -> float:
    """Vertex of the parabola through the highest bin and its two neighbours (its centre when
    it lies at either end of the histogram or the three points are collinear)."""
    c, w = sorted_histogram(centres, weights)
    return _parabolic_mode_sorted(c, w)


def _parabolic_mode_sorted(c: np.ndarray, w: np.ndarray) -> float:
    if float(w.sum()) <= 0:
        raise ValueError("no particles")
    k = int(np.argmax(w))
    if k == 0 or k == len(c) - 1:
        return float(c[k])
    y0, y1, y2 = w[k - 1], w[k], w[k + 1]
    x0, x1, x2 = c[k - 1], c[k], c[k + 1]
    # General vertex formula (bins need not be evenly spaced).
    denom = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denom
    b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / denom
    if a == 0:
        return float(x1)
    return float(-b / (2 * a))


def modal_class(centres, weights) -> float:
    """Centre of the most populated bin (the first of equals)."""
    c, w = sorted_histogram(centres, weights)
    return _modal_class_sorted(c, w)


def _modal_class_sorted(c: np.ndarray, w: np.ndarray) -> float:
    if float(w.sum()) <= 0:
        raise ValueError("no particles")
    return float(c[int(np.argmax(w))])


def size_stats(
    centres, weights, *, anchor: str, ddof: int, mode: str = "parabola", weighting: str = "number"
) -> SizeStats:
    """All headline figures of one histogram. weighting="volume" weights each bin by d^3."""
    c, w = sorted_histogram(centres, weights)
    if weighting == "volume":
        w = w * c**3
    elif weighting != "number":
        raise ValueError("weighting must be 'number' or 'volume'")
    mean, sd = weighted_mean_sd(c, w, ddof=ddof)
    d10, d50, d90 = _percentiles_sorted(c, w, (0.1, 0.5, 0.9), anchor)
    # c and w are sorted already: the mode need not sort them again
    m = _parabolic_mode_sorted(c, w) if mode == "parabola" else _modal_class_sorted(c, w)
    return SizeStats(mean=mean, mode=m, sd=sd, d10=d10, d50=d50, d90=d90)


def mean_and_standard_error(values: Sequence[float]) -> tuple[float, float | None]:
    """Average over videos and NanoSight's "Standard Error": SD (n-1) / sqrt(n)."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        raise ValueError("no values")
    mean = float(v.mean())
    if len(v) < 2:
        return mean, None
    return mean, float(v.std(ddof=1) / math.sqrt(len(v)))


def number_fraction_pct(
    centres: Sequence[float], weights: Sequence[float], low: float, high: float
) -> float | None:
    """Percentage of the particles whose bin centre lies in [low, high] nm (a specification's
    "particles within 50-400 nm"). With NanoSight's 1-nm bins (centres at x.5) the window is
    exact; with ZetaView's 5-nm classes a class counts when its centre is inside."""
    c = np.asarray(centres, dtype=float)
    w = np.asarray(weights, dtype=float)
    total = float(w.sum())
    if not total > 0:
        return None
    inside = (c >= low) & (c <= high)
    return float(w[inside].sum() / total * 100.0)
