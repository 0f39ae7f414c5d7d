"""Shelf life from stability data by ICH Q1E (poolability of batches, confidence bound of the mean).

Procedure (ICH Q1E Appendix B; LeBlond, Griffith & Aubuchon 2011; R package expirest):
1. Fit y ~ time * batch (dids: different intercepts and slopes). Test equality of slopes,
   F = [(RSS_dics - RSS_dids) / (k-1)] / MSE_dids, at alpha 0.25. If slopes differ: dids.
2. Otherwise test equality of intercepts, F = [(RSS_cics - RSS_dics) / (k-1)] / MSE_dids
   (the denominator is the full-model MSE, as JMP, expirest and LeBlond use). If intercepts
   differ: dics (common slope), else cics (one line for all batches).
3. Shelf life: the earliest time at which the one-sided 95 % confidence bound of the MEAN
   regression line (t quantile with the model's residual df, the model's pooled MSE) crosses
   the specification limit; for dics and dids the worst (earliest) batch decides.
   With both a lower and an upper limit, ICH Q1E asks for two-sided 95 % limits, i.e. each
   bound at 97.5 %; the shelf life is the earlier of the two crossings.

dids comes in two conventions, both computed: "pooled_mse" (LeBlond 2011: the dids model's
pooled MSE and df, the default) and "individual" (separate per-batch regressions, each with
its own MSE and n-2 df, as JMP and expirest report). `dids_convention` says which one
`shelf_life` uses; `shelf_life_by_model` reports all four.
A crossing is searched from time 0 up to `horizon` (default 3 x the longest time studied);
none within it gives shelf_life null with a warning rather than an extrapolated number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy import stats as sps

from evqms.errors import InputError, location
from evqms.i18n import _

ALPHA_POOL = 0.25
MODELS = ("cics", "dics", "dids_pooled_mse", "dids_individual")
DIDS_CONVENTIONS = ("pooled_mse", "individual")
MIN_TIME_POINTS = 3
HORIZON_FACTOR = 3.0


@dataclass(frozen=True)
class StabilityData:
    time: np.ndarray
    value: np.ndarray
    batch: np.ndarray  # index into `batches`
    batches: tuple[str, ...]


@dataclass(frozen=True)
class LinearFit:
    coef: np.ndarray
    rss: float
    df: int
    xtx_inv: np.ndarray

    @property
    def mse(self) -> float:
        return self.rss / self.df


def _fit(X: np.ndarray, y: np.ndarray) -> LinearFit:
    xtx_inv = np.linalg.inv(X.T @ X)
    coef = xtx_inv @ X.T @ y
    resid = y - X @ coef
    return LinearFit(coef, float(resid @ resid), len(y) - X.shape[1], xtx_inv)


def design_matrix(model: str, t: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """Design matrix: cics [1, t]; dics [batch dummies, t]; dids [batch dummies, batch dummies * t]."""
    t = np.asarray(t, dtype=float)
    if model == "cics":
        return np.column_stack([np.ones_like(t), t])
    dummies = (np.asarray(b)[:, None] == np.arange(k)[None, :]).astype(float)
    if model == "dics":
        return np.column_stack([dummies, t])
    return np.column_stack([dummies, dummies * t[:, None]])


def _line(model: str, fit: LinearFit, j: int, k: int) -> tuple[float, float]:
    """Intercept and slope of batch j under a fitted model."""
    if model == "cics":
        return float(fit.coef[0]), float(fit.coef[1])
    if model == "dics":
        return float(fit.coef[j]), float(fit.coef[k])
    return float(fit.coef[j]), float(fit.coef[k + j])


def _crossing(bound, limit: float, side: int, horizon: float) -> float | None:
    """Earliest t in [0, horizon] where side * (bound(t) - limit) <= 0; 0.0 if already outside.

    `bound` takes an array of times. A grid brackets the first crossing, Brent's method refines it.
    """
    grid = np.linspace(0.0, horizon, 2001)
    values = side * (bound(grid) - limit)
    if values[0] <= 0:
        return 0.0
    below = np.flatnonzero(values <= 0)
    if below.size == 0:
        return None
    i = below[0]
    g = lambda t: float(side * (bound(np.array([t]))[0] - limit))  # noqa: E731
    return float(optimize.brentq(g, grid[i - 1], grid[i], xtol=1e-12, rtol=4 * np.finfo(float).eps))


def _batch_shelf_life(model, fit, j, k, spec, confidence, horizon) -> float | None:
    """Shelf life of batch j: earliest crossing of its mean-line confidence bound(s)."""
    two_sided = spec.get("lower") is not None and spec.get("upper") is not None
    level = 1 - (1 - confidence) / 2 if two_sided else confidence
    tq = float(sps.t.ppf(level, fit.df))

    def mean_and_half_width(t):
        x0 = design_matrix(model, t, np.full(len(t), j), k)
        var = np.einsum("ij,jk,ik->i", x0, fit.xtx_inv, x0)
        return x0 @ fit.coef, tq * np.sqrt(fit.mse * var)

    def lower_bound(t):
        m, h = mean_and_half_width(t)
        return m - h

    def upper_bound(t):
        m, h = mean_and_half_width(t)
        return m + h

    found = []
    if spec.get("lower") is not None:
        found.append(_crossing(lower_bound, spec["lower"], 1, horizon))
    if spec.get("upper") is not None:
        found.append(_crossing(upper_bound, spec["upper"], -1, horizon))
    found = [f for f in found if f is not None]
    return min(found) if found else None


def _worst(lives: dict[str, float | None]) -> tuple[float | None, str | None]:
    """Earliest shelf life over batches; a batch without a crossing never decides."""
    known = {b: v for b, v in lives.items() if v is not None}
    if not known:
        return None, None
    batch = min(known, key=known.get)
    return known[batch], batch


def model_fits(data: StabilityData) -> dict[str, LinearFit]:
    k = len(data.batches)
    return {m: _fit(design_matrix(m, data.time, data.batch, k), data.value) for m in ("cics", "dics", "dids")}


def poolability(data: StabilityData, fits: dict[str, LinearFit]) -> dict:
    k = len(data.batches)
    dids = fits["dids"]
    f_slopes = ((fits["dics"].rss - dids.rss) / (k - 1)) / dids.mse
    f_int = ((fits["cics"].rss - fits["dics"].rss) / (k - 1)) / dids.mse
    return {
        "F_slopes": f_slopes,
        "p_slopes": float(sps.f.sf(f_slopes, k - 1, dids.df)),
        "F_intercepts": f_int,
        "p_intercepts": float(sps.f.sf(f_int, k - 1, dids.df)),
        "df": [k - 1, dids.df],
        "alpha": ALPHA_POOL,
    }


def _overall_f(fit: LinearFit, y: np.ndarray) -> float:
    """Regression F of a model against the grand mean (as expirest's F_regression)."""
    sst = float(np.sum((y - y.mean()) ** 2))
    p = len(fit.coef)
    return ((sst - fit.rss) / (p - 1)) / fit.mse


def shelf_life(
    data: StabilityData, *, lower: float | None = None, upper: float | None = None, confidence: float = 0.95,
    alpha_pool: float = ALPHA_POOL, dids_convention: str = "pooled_mse", horizon: float | None = None,
) -> dict:  # fmt: skip
    """ICH Q1E analysis; see the module docstring. Returns a JSON-able dict."""
    if lower is None and upper is None:
        raise InputError(
            _("give a lower and/or an upper specification limit"), where=location(field="--lower")
        )
    if dids_convention not in DIDS_CONVENTIONS:
        raise ValueError(dids_convention)
    spec = {"lower": lower, "upper": upper}
    k = len(data.batches)
    tmax = float(np.max(data.time))
    horizon = float(horizon) if horizon is not None else HORIZON_FACTOR * tmax
    if not horizon > 0:
        raise InputError(_("--horizon must be positive"), where=location(field="--horizon"))
    fits = model_fits(data)
    model, pool = _chosen_model(data, fits, alpha_pool)
    by_model, worst_by_model, by_batch_by_model = _lives_by_model(data, fits, spec, confidence, horizon)
    key = model if model != "dids" else f"dids_{dids_convention}"
    chosen_life = by_model[key]
    worst = None if model == "cics" else worst_by_model.get(key)
    chosen_fit = fits[model]
    lines = {b: _line(model, chosen_fit, j, k) for j, b in enumerate(data.batches)}
    warnings = _shelf_life_warnings(chosen_life, horizon, tmax)
    return {
        "model": model,
        "shelf_life": chosen_life,
        "worst_batch": worst,
        "dids_convention": dids_convention,
        "poolability": pool,
        "F_regression": _overall_f(chosen_fit, data.value),
        "mse": chosen_fit.mse,
        "df": chosen_fit.df,
        "intercepts": {b: v[0] for b, v in lines.items()},
        "slopes": {b: v[1] for b, v in lines.items()},
        "shelf_life_by_model": by_model,
        "worst_batch_by_model": worst_by_model,
        "shelf_life_by_batch": by_batch_by_model,
        "batches": list(data.batches),
        "spec": spec,
        "sides": "two-sided"
        if lower is not None and upper is not None
        else ("lower" if lower is not None else "upper"),
        "confidence": confidence,
        "horizon": horizon,
        "warnings": warnings,
    }


def _chosen_model(
    data: StabilityData, fits: dict[str, LinearFit], alpha_pool: float
) -> tuple[str, dict | None]:
    """(model, poolability tests): ICH Q1E pools slopes, then intercepts, where the batches do
    not differ at `alpha_pool`; one batch is its own common line."""
    if len(data.batches) == 1:
        return "cics", None
    pool = poolability(data, fits)
    pool["alpha"] = alpha_pool
    if pool["p_slopes"] < alpha_pool:
        return "dids", pool
    if pool["p_intercepts"] < alpha_pool:
        return "dics", pool
    return "cics", pool


def _lives_by_model(data: StabilityData, fits, spec: dict, confidence: float, horizon: float):
    """(shelf life, worst batch, shelf life of each batch), each by model: the fitted models,
    and a separate regression per batch (JMP / expirest "dids") when there are several."""
    k = len(data.batches)
    by_model: dict[str, float | None] = {}
    worst_by_model: dict[str, str | None] = {}
    by_batch_by_model: dict[str, dict] = {}
    for m in ("cics", "dics", "dids_pooled_mse"):
        fm = "dids" if m.startswith("dids") else m
        if k == 1 and m != "cics":
            continue
        if m == "cics":
            life = _batch_shelf_life("cics", fits["cics"], 0, k, spec, confidence, horizon)
            lives = {b: life for b in data.batches}
        else:
            lives = {
                b: _batch_shelf_life(fm, fits[fm], j, k, spec, confidence, horizon)
                for j, b in enumerate(data.batches)
            }
        by_batch_by_model[m] = lives
        by_model[m], worst_by_model[m] = _worst(lives) if m != "cics" else (lives[data.batches[0]], None)
    individual = {}
    for j, b in enumerate(data.batches):
        sel = data.batch == j
        fit_b = _fit(design_matrix("cics", data.time[sel], data.batch[sel], 1), data.value[sel])
        individual[b] = _batch_shelf_life("cics", fit_b, 0, 1, spec, confidence, horizon)
    if k > 1:
        by_batch_by_model["dids_individual"] = individual
        by_model["dids_individual"], worst_by_model["dids_individual"] = _worst(individual)
    return by_model, worst_by_model, by_batch_by_model


def _shelf_life_warnings(life: float | None, horizon: float, tmax: float) -> list[str]:
    """No crossing within the horizon, out of specification at time 0, or an extrapolation
    beyond ICH Q1E's limit."""
    if life is None:
        return [
            _("the confidence bound does not cross the specification within {horizon:g} time units "
              "(by default 3 x the longest time studied): no shelf life is estimated").format(horizon=horizon)
        ]  # fmt: skip
    if life == 0.0:
        return [_("the confidence bound is outside the specification already at time 0")]
    if life > min(2 * tmax, tmax + 12):
        return [
            _("the shelf life {life:.3g} extrapolates beyond what ICH Q1E allows (up to twice the period "
              "studied, {tmax:g}, and no more than 12 months beyond it)").format(life=life, tmax=tmax)
        ]  # fmt: skip
    return []


def load_table(
    raw: bytes, filename: str, *, time: str, value: str, batch: str, batches: list[str] | None = None
) -> StabilityData:
    """Read a stability CSV (one row per result) and check it is fit for regression."""
    from evqms.analytics.spc import read_csv_columns  # the shared, line-numbering CSV reader

    columns, lines = read_csv_columns(raw, filename, [time, value], [batch])
    labels = columns[batch]
    order = list(dict.fromkeys(labels))
    if batches:
        unknown = [b for b in batches if b not in order]
        if unknown:
            raise InputError(
                _("no batch {names} in the file (batches: {known})").format(
                    names=", ".join(unknown), known=", ".join(order)
                ),
                where=location(file=filename, column=batch, field="--batches"),
            )
        order = list(dict.fromkeys(batches))
    keep = [i for i, b in enumerate(labels) if b in order]
    t = np.array([columns[time][i] for i in keep])
    y = np.array([columns[value][i] for i in keep])
    b = np.array([order.index(labels[i]) for i in keep])
    for i in keep:
        if columns[time][i] < 0:
            raise InputError(
                _("a time cannot be negative"), where=location(file=filename, line=lines[i], column=time)
            )
    for j, name in enumerate(order):
        distinct = np.unique(t[b == j])
        if distinct.size < MIN_TIME_POINTS:
            first = next(lines[i] for i in keep if labels[i] == name)
            raise InputError(
                _("batch {name} has {n} time points; a regression needs at least 3").format(
                    name=name, n=distinct.size
                ),
                where=location(file=filename, line=first, column=batch),
            )
    if len(order) > 1 and len(y) - 2 * len(order) < 1:
        raise InputError(
            _("too few results to test poolability (need more results than 2 x the number of batches)"),
            where=location(file=filename),
        )
    return StabilityData(t, y, b, tuple(order))


def analyze_table(raw: bytes, filename: str, *, time: str, value: str, batch: str,
                  batches: list[str] | None = None, **kwargs) -> dict:  # fmt: skip
    data = load_table(raw, filename, time=time, value=value, batch=batch, batches=batches)
    return shelf_life(data, **kwargs)
