"""R drc's drm() reproduced step for step: its self-starter, its start vector and R's
optim(method = "BFGS"), so that a fit reports the point drc prints, to its last digit."""

from __future__ import annotations

import numpy as np

from .potency_models import Model, g_inverse
from .potency_problem import Problem


def drc_start(model: Model, x: np.ndarray, y: np.ndarray) -> dict | None:
    """drc's self-starter (llogistic.ssf / weibull*.ssf, method "1"): c and d just outside the
    response range (0.1 % of it), b and e from lm(ytrans(y) ~ log(x)) over the positive doses."""
    lo, hi = float(np.min(y)), float(np.max(y))
    pad = 0.001 * (hi - lo)
    c0, d0 = lo - pad, hi + pad
    c_trans = c0
    if model.log_e:  # llogistic2's starter: fixed offsets 0.001, and c - 0.001 in the transform
        c0, d0 = lo - 0.001, hi + 0.001
        c_trans = c0 - 0.001
    pos = x > 0
    if hi <= lo or np.unique(x[pos]).size < 2:
        return None
    with np.errstate(all="ignore"):
        zt = np.array([g_inverse(model.family, q) for q in (y[pos] - c_trans) / (d0 - c_trans)])
        if not np.all(np.isfinite(zt)):
            return None
        slope, intercept = np.polyfit(np.log(x[pos]), zt, 1)
    if not (np.isfinite(slope) and slope != 0):
        return None
    loge = -intercept / slope
    theta = {"b": float(slope), "c": c0, "d": d0, "e": float(loge if model.log_e else np.exp(loge))}
    return {k: v for k, v in theta.items() if k in model.params}


def vmmin(fn, gr, b0: np.ndarray, maxit: int = 500, reltol: float = 1e-7):
    """R's optim(method = "BFGS") (vmmin in R's src/appl/optim.c), step for step: drm's
    printed estimates are where this stops (relative RSS change below 1e-7), a hair away from
    the exact least-squares minimum, and drc's printed digits depend on that point."""
    stepredn, acctol, reltest = 0.2, 0.0001, 10.0
    n = b0.size
    b = b0.copy()
    f = fn(b)
    if not np.isfinite(f):
        return None
    fmin, g = f, gr(b)
    gradcount, iterations, ilast = 1, 1, 1
    B = np.eye(n)
    while True:
        if ilast == gradcount:
            B = np.eye(n)
        X, c = b.copy(), g.copy()
        t = -(B @ g)
        gradproj = float(t @ g)
        if gradproj < 0.0:
            steplength, accpoint = 1.0, False
            while True:
                b = X + steplength * t
                count = int(np.sum(reltest + X == reltest + b))
                if count < n:
                    f = fn(b)
                    accpoint = bool(np.isfinite(f) and f <= fmin + gradproj * steplength * acctol)
                    if not accpoint:
                        steplength *= stepredn
                if count == n or accpoint:
                    break
            if not abs(f - fmin) > reltol * (abs(fmin) + reltol):
                count, fmin = n, f
            if count < n:
                fmin, g = f, gr(b)
                gradcount += 1
                iterations += 1
                t = steplength * t
                c = g - c
                d1 = float(t @ c)
                if d1 > 0:
                    xv = B @ c
                    d2 = 1.0 + float(xv @ c) / d1
                    B = B + (d2 * np.outer(t, t) - np.outer(xv, t) - np.outer(t, xv)) / d1
                else:
                    ilast = gradcount
            elif ilast < gradcount:
                count, ilast = 0, gradcount
        else:
            count = 0
            if ilast == gradcount:
                count = n
            else:
                ilast = gradcount
        if iterations >= maxit:
            return None
        if gradcount - ilast > 2 * n:
            ilast = gradcount
        if count == n and ilast == gradcount:
            return b


def drc_bfgs(problem: Problem, start: np.ndarray) -> np.ndarray | None:
    """drm's optimisation: optim(BFGS) on RSS with parscale = |start| (values below 1e-4 -> 1),
    numerical central-difference gradient with ndeps = 1e-3, reltol = 1e-7, maxit = 500
    (drmc defaults; useD = FALSE)."""
    scale = np.abs(start)
    scale[scale < 1e-4] = 1.0

    def fn(u):
        theta = u * scale
        if problem.log_cols and np.any(theta[problem.log_cols] <= 0):
            return np.inf
        r = problem.parts(theta, 0)[0] - problem.y
        return float(r @ r)

    def gr(u):
        out = np.empty(u.size)
        for i in range(u.size):
            up, dn = u.copy(), u.copy()
            up[i] += 1e-3
            dn[i] -= 1e-3
            out[i] = (fn(up) - fn(dn)) / 2e-3
        return out

    with np.errstate(all="ignore"):
        u = vmmin(fn, gr, start / scale)
    if u is None or not np.all(np.isfinite(u)):
        return None
    return u * scale


def drc_fit(problem, mdl, layout, x, y, cur, names):
    """drm's start vector (per-curve self-starter; a shared parameter gets the mean) and run."""
    start = np.zeros(len(layout.labels))
    counts = np.zeros(len(layout.labels))
    for c in names:
        st = drc_start(mdl, x[cur == c], y[cur == c])
        if st is None:
            return None
        for param, value in st.items():
            start[layout.index[(c, param)]] += value
            counts[layout.index[(c, param)]] += 1
    return drc_bfgs(problem, start / counts)
