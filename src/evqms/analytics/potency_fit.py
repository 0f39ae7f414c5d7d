"""Least-squares fit of one or several dose-response curves, with drc's standard errors.

Several curves are fitted together: each model parameter is either shared by all curves or
estimated per curve. Standard errors follow drc: vcov = 2 sigma^2 H^-1 with H the full Hessian
of the residual sum of squares (not the Gauss-Newton J'J, which differs by 1-2 %) and
sigma^2 = RSS / df. ED values get delta-method intervals estimate +/- qt(0.975, df) se.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from evqms.errors import InputError, location
from evqms.i18n import _

from .potency_models import PARAMS, Model, ed_dose, evaluate, g_inverse, get_model

SINGLE_CURVE = "all"


class FitError(InputError):
    """The data cannot be fitted by the model (no convergence, parameters not identifiable)."""


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


@dataclass
class FitResult:
    model: Model
    layout: Layout
    theta: np.ndarray
    vcov: np.ndarray
    rss: float
    n: int
    df: int
    doses: np.ndarray = field(repr=False)
    responses: np.ndarray = field(repr=False)
    curve_of: np.ndarray = field(repr=False)  # curve name of each observation
    optimizer: str = "exact"  # "drc": drm's BFGS end point; "exact": the exact minimum

    @property
    def curves(self) -> tuple[str, ...]:
        return self.layout.curves

    @property
    def residual_se(self) -> float:
        return float(np.sqrt(self.rss / self.df))

    def estimates(self, curve: str) -> dict:
        return {p: float(v) for p, v in self.layout.curve_theta(self.theta, curve).items()}

    def std_errors(self, curve: str) -> dict:
        se = np.sqrt(np.diag(self.vcov))
        return {p: float(se[self.layout.index[(curve, p)]]) for p in self.model.params}

    def predict(self, doses, curve: str | None = None) -> np.ndarray:
        curve = curve or self.curves[0]
        return evaluate(self.model, np.asarray(doses, float), self.estimates(curve), order=0)[0]

    def t_quantile(self, level: float = 0.95) -> float:
        from scipy import stats

        return float(stats.t.ppf(0.5 + level / 2.0, self.df))

    def ed_gradient(self, curve: str, p: float) -> tuple[float, np.ndarray]:
        """ED_p on the dose scale and its gradient over the whole parameter vector."""
        value, local = ed_dose(self.model, self.estimates(curve), p)
        grad = np.zeros(self.theta.size)
        cols, pos = self.layout.curve_cols(curve)
        grad[pos] += local[cols]
        return value, grad

    def ed(self, curve: str, p: float, level: float = 0.95) -> dict:
        """drc's ED(m, p, interval="delta"); for LL2.4 on the log scale, as drc reports it."""
        value, grad = self.ed_gradient(curve, p)
        if self.model.log_e:
            grad = grad / value
            value = float(np.log(value))
        se = float(np.sqrt(grad @ self.vcov @ grad))
        half = self.t_quantile(level) * se
        return {"estimate": value, "se": se, "ci": [value - half, value + half]}

    def to_dict(self, ed_levels=(10, 50, 90), reference: str | None = None) -> dict:
        from .potency_compare import compare_to_reference, parallelism_test

        curves = {
            c: {p: {"estimate": self.estimates(c)[p], "se": self.std_errors(c)[p]} for p in self.model.params}
            for c in self.curves
        }
        ed = {c: {format_level(p): self.ed(c, p) for p in ed_levels} for c in self.curves}
        comparisons, parallel = [], None
        if len(self.curves) > 1:
            comparisons = compare_to_reference(self, reference)
            parallel = parallelism_test(self)
        return {
            "model": self.model.name,
            "n": self.n,
            "rss": self.rss,
            "df": self.df,
            "residual_se": self.residual_se,
            "shared": list(self.layout.shared),
            "optimizer": self.optimizer,
            "curves": curves,
            "ed": ed,
            "comparisons": comparisons,
            "parallelism": parallel,
        }


def format_level(p: float) -> str:
    return str(int(p)) if float(p).is_integer() else repr(float(p))


def _where(source, curve=None):
    return location(file=source, field=None if curve is None else _("curve {name}").format(name=curve))


def _check_inputs(x, y, cur, model, curves, shared, source):
    if x.size != y.size or x.size != cur.size:
        raise InputError(_("doses and responses differ in length"), where=_where(source))
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError(_("doses and responses must be finite numbers"), where=_where(source))
    if np.any(x < 0):
        raise InputError(_("doses must not be negative"), where=_where(source))
    for name in shared:
        if name not in model.params:
            raise InputError(
                _("unknown shared parameter {name}; model {model} has {params}").format(
                    name=name, model=model.name, params=", ".join(model.params)
                ),
                where=_where(source),
            )
    for name in curves:
        mask = cur == name
        distinct = np.unique(x[mask]).size
        if distinct < 2:
            raise InputError(
                _("the curve has a single dose; a dose-response fit needs several"),
                where=_where(source, name),
            )
        own = len([p for p in model.params if p not in shared]) if len(curves) > 1 else len(model.params)
        if distinct < own:
            raise InputError(
                _("the curve has {k} distinct doses but {p} parameters of its own").format(k=distinct, p=own),
                where=_where(source, name),
            )


def _start_values(model: Model, x: np.ndarray, y: np.ndarray) -> list[dict]:
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


class _Problem:
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


def _newton_polish(problem: _Problem, theta: np.ndarray, steps: int = 5) -> np.ndarray:
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


def _drc_start(model: Model, x: np.ndarray, y: np.ndarray) -> dict | None:
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


def _vmmin(fn, gr, b0: np.ndarray, maxit: int = 500, reltol: float = 1e-7):
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


def _drc_bfgs(problem: _Problem, start: np.ndarray) -> np.ndarray | None:
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
        u = _vmmin(fn, gr, start / scale)
    if u is None or not np.all(np.isfinite(u)):
        return None
    return u * scale


def _drc_run(problem, mdl, layout, x, y, cur, names):
    """drm's start vector (per-curve self-starter; a shared parameter gets the mean) and run."""
    start = np.zeros(len(layout.labels))
    counts = np.zeros(len(layout.labels))
    for c in names:
        st = _drc_start(mdl, x[cur == c], y[cur == c])
        if st is None:
            return None
        for param, value in st.items():
            start[layout.index[(c, param)]] += value
            counts[layout.index[(c, param)]] += 1
    return _drc_bfgs(problem, start / counts)


def fit_dose_response(
    doses, responses, curves=None, model="LL4", shared=(), *, optimizer="drc", source=None
) -> FitResult:
    """Fit `model` to (doses, responses); `curves` labels each observation's curve (None: one
    curve named "all"); `shared` names the parameters common to all curves.

    optimizer="drc" (default) reproduces R's drm(): its self-starter and BFGS run, which stops at
    a relative RSS change of 1e-7, so that the printed figures agree with drc's to the last
    digit. The exact least-squares minimum is always found too (Levenberg-Marquardt, then Newton
    on the full Hessian); it is used when drc's run fails or ends elsewhere, and always with
    optimizer="exact". Either way standard errors come from the full Hessian of RSS."""
    from scipy.optimize import least_squares

    mdl = get_model(model) if isinstance(model, str) else model
    if mdl is None:
        raise InputError(_("unknown model {name}").format(name=model), where=_where(source))
    x = np.asarray(doses, dtype=float).ravel()
    y = np.asarray(responses, dtype=float).ravel()
    cur = (
        np.full(x.size, SINGLE_CURVE, dtype=object) if curves is None else np.asarray(curves, object).ravel()
    )
    names = tuple(dict.fromkeys(str(c) for c in cur))
    cur = np.array([str(c) for c in cur], dtype=object)
    shared = tuple(dict.fromkeys(shared))
    _check_inputs(x, y, cur, mdl, names, shared, source)
    layout = Layout.build(mdl, names, shared)
    n, p = x.size, len(layout.labels)
    if n <= p:
        raise InputError(
            _("{n} observations are too few for {p} parameters (need more than {p})").format(n=n, p=p),
            where=_where(source),
        )
    problem = _Problem(layout, x, y, cur)

    per_curve = {c: _start_values(mdl, x[cur == c], y[cur == c]) for c in names}
    best = None
    for k in range(len(next(iter(per_curve.values())))):
        start = np.zeros(p)
        counts = np.zeros(p)
        for c in names:
            for param, value in per_curve[c][k].items():
                start[layout.index[(c, param)]] += value
                counts[layout.index[(c, param)]] += 1
        start /= counts
        if not mdl.log_e:
            start[problem.log_cols] = np.abs(start[problem.log_cols])
        try:
            with np.errstate(all="ignore"):
                sol = least_squares(
                    problem.residuals,
                    problem.to_u(start),
                    jac=problem.jacobian,
                    method="lm",
                    xtol=1e-14,
                    ftol=1e-14,
                    gtol=1e-14,
                    max_nfev=2000,
                )
        except (ValueError, np.linalg.LinAlgError):
            continue
        if sol.status > 0 and np.all(np.isfinite(sol.x)) and (best is None or sol.cost < best.cost):
            best = sol
    if best is None:
        raise FitError(
            _("the fit did not converge; check that the responses follow a dose-response curve"),
            where=_where(source),
        )
    with np.errstate(all="ignore"):
        theta = _newton_polish(problem, problem.to_theta(best.x))
        h, grad, rss = problem.half_hessian(theta)
    used = "exact"
    if optimizer == "drc":
        theta_drc = _drc_run(problem, mdl, layout, x, y, cur, names)
        if theta_drc is not None:
            with np.errstate(all="ignore"):
                h2, _grad2, rss2 = problem.half_hessian(theta_drc)
            # the same minimum within drc's tolerance: take drc's point, as drc reports it
            if np.isfinite(rss2) and rss2 <= rss * (1.0 + 1e-6) + 1e-300:
                theta, h, rss, used = theta_drc, h2, rss2, "drc"
    elif optimizer != "exact":
        raise InputError(_("unknown optimizer {name}").format(name=optimizer), where=_where(source))
    df = n - p
    if not (np.all(np.isfinite(h)) and np.isfinite(rss)):
        raise FitError(
            _("the fit did not converge; check that the responses follow a dose-response curve"),
            where=_where(source),
        )
    eig = np.linalg.eigvalsh(h)
    if eig.min() <= 1e-10 * max(eig.max(), 1e-300):
        raise FitError(
            _(
                "the fit did not converge to a clear minimum (parameters not identifiable: "
                "the responses show no dose-response over the doses tested)"
            ),
            where=_where(source),
        )
    vcov = (rss / df) * np.linalg.inv(h)
    return FitResult(mdl, layout, theta, vcov, rss, n, df, x, y, cur, used)
