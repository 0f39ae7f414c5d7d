"""The least-squares problem of fitting dose-response curves together: where each curve's
parameters sit in one vector, residuals with their analytic Jacobian and the full Hessian of the
residual sum of squares, the self-starter and the Newton steps that reach the exact minimum."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .potency_models import PARAMS, Model, evaluate, g_inverse


@dataclass(frozen=True)
class Layout:
    """Where each curve's parameters sit in the global parameter vector."""

    model: Model
    curves: tuple[str, ...]
    shared: tuple[str, ...]
    index: dict  # (curve, param) -> position in theta
    labels: tuple[str, ...]  # "b" for a shared parameter, "b:NAME" otherwise (as drc)

    @classmethod
    def build(cls, model: Model, curves, shared) -> Layout:
        index, labels = {}, []
        for param in model.params:
            if param in shared or len(curves) == 1:
                for cur in curves:
                    index[(cur, param)] = len(labels)
                labels.append(param)
            else:
                for cur in curves:
                    index[(cur, param)] = len(labels)
                    labels.append(f"{param}:{cur}")
        return cls(model, tuple(curves), tuple(shared), index, tuple(labels))

    def curve_theta(self, theta: np.ndarray, curve: str) -> dict:
        return {p: theta[self.index[(curve, p)]] for p in self.model.params}

    def curve_cols(self, curve: str) -> tuple[list[int], list[int]]:
        """(columns among b,c,d,e that are estimated, their positions in theta)."""
        cols = [PARAMS.index(p) for p in self.model.params]
        return cols, [self.index[(curve, p)] for p in self.model.params]


def start_values(model: Model, x: np.ndarray, y: np.ndarray) -> list[dict]:
    """Self-starter (as drc's): asymptotes from the extreme responses, b and e from a straight
    line through the linearised responses against log dose. A few variants guard against a
    poor first guess; the fit keeps the one with the lowest RSS."""
    lo, hi = float(np.min(y)), float(np.max(y))
    span = max(hi - lo, 1e-12 * max(1.0, abs(hi)))
    c0 = 0.0 if "c" in model.fixed else lo - 0.01 * span
    d0 = hi + 0.01 * span
    pos = x > 0
    xl = np.log(x[pos])
    low_mean = np.mean(y[x == np.min(x)])
    high_mean = np.mean(y[x == np.max(x)])
    decreasing = high_mean < low_mean
    sign = model.decreasing_sign() if decreasing else -model.decreasing_sign()
    q = np.clip((y[pos] - c0) / (d0 - c0), 0.02, 0.98)
    zq = np.array([g_inverse(model.family, v) for v in q])
    b0, e0 = sign * 1.0, float(np.exp(np.median(xl)))
    if np.ptp(xl) > 0:
        slope, intercept = np.polyfit(xl, zq, 1)
        if np.isfinite(slope) and abs(slope) > 1e-8 and np.sign(slope) == sign:
            b0 = float(slope)
            e_guess = float(np.exp(-intercept / slope))
            if np.isfinite(e_guess) and np.exp(xl.min() - 3) < e_guess < np.exp(xl.max() + 3):
                e0 = e_guess
    starts = []
    for b, e in ((b0, e0), (sign * 1.0, float(np.exp(np.median(xl)))), (sign * 3.0, e0)):
        theta = {"b": b, "c": c0, "d": d0, "e": float(np.log(e)) if model.log_e else e}
        starts.append({k: v for k, v in theta.items() if k in model.params})
    return starts


class Problem:
    """Residuals, Jacobian and half the Hessian of RSS over the whole parameter vector; `e` is
    optimised on the log scale (u) unless the model already uses log(e)."""

    def __init__(self, layout: Layout, x, y, cur):
        self.layout = layout
        self.model = layout.model
        self.x, self.y = x, y
        self.groups = [(c, np.flatnonzero(cur == c)) for c in layout.curves]
        self.p = len(layout.labels)
        # e is optimised as log(e) so that it stays positive (not for LL2.4, where it already is)
        self.log_cols = (
            [] if self.model.log_e else [i for i, lab in enumerate(layout.labels) if lab.split(":")[0] == "e"]
        )

    def parts(self, theta, order):
        f = np.empty(self.y.size)
        jac = np.zeros((self.y.size, self.p)) if order >= 1 else None
        hes = []
        for curve, rows in self.groups:
            cols, pos = self.layout.curve_cols(curve)
            fk, jk, hk = evaluate(self.model, self.x[rows], self.layout.curve_theta(theta, curve), order)
            f[rows] = fk
            if order >= 1:
                jac[np.ix_(rows, pos)] = jk[:, cols]
            if order >= 2:
                hes.append((rows, pos, hk[:, cols][:, :, cols]))
        return f, jac, hes

    def half_hessian(self, theta):
        """Half the Hessian of RSS: J'J - sum r_i d2f_i (r = y - f), and half the gradient."""
        f, jac, hes = self.parts(theta, 2)
        r = self.y - f
        h = jac.T @ jac
        for rows, pos, hk in hes:
            h[np.ix_(pos, pos)] -= np.einsum("i,ijk->jk", r[rows], hk)
        return h, -(jac.T @ r), float(r @ r)

    def to_u(self, theta):
        u = np.array(theta, float)
        u[self.log_cols] = np.log(u[self.log_cols])
        return u

    def to_theta(self, u):
        t = np.array(u, float)
        t[self.log_cols] = np.exp(t[self.log_cols])
        return t

    def residuals(self, u):
        return self.parts(self.to_theta(u), 0)[0] - self.y

    def jacobian(self, u):
        theta = self.to_theta(u)
        jac = self.parts(theta, 1)[1]
        jac[:, self.log_cols] *= theta[self.log_cols]
        return jac


def newton_polish(problem: Problem, theta: np.ndarray, steps: int = 5) -> np.ndarray:
    """A few full Newton steps on RSS: the least-squares solver stops on relative tolerances;
    the printed standard errors need the exact minimum."""
    h, grad, rss = problem.half_hessian(theta)
    for _step in range(steps):
        try:
            delta = np.linalg.solve(h, -grad)
        except np.linalg.LinAlgError:
            break
        trial = theta + delta
        if problem.log_cols and np.any(trial[problem.log_cols] <= 0):
            break
        h2, grad2, rss2 = problem.half_hessian(trial)
        if not np.isfinite(rss2) or rss2 > rss * (1 + 1e-12):
            break
        theta, h, grad, rss = trial, h2, grad2, rss2
        if np.max(np.abs(delta) / np.maximum(np.abs(theta), 1e-8)) < 1e-13:
            break
    return theta
