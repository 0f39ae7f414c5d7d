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

from .potency_drc import drc_fit
from .potency_models import Model, ed_dose, evaluate, get_model
from .potency_problem import Layout, Problem, newton_polish, start_values

SINGLE_CURVE = "all"


class FitError(InputError):
    """The data cannot be fitted by the model (no convergence, parameters not identifiable)."""


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
    mdl = get_model(model) if isinstance(model, str) else model
    if mdl is None:
        raise InputError(_("unknown model {name}").format(name=model), where=_where(source))
    x, y, cur, names = _observations(doses, responses, curves)
    shared = tuple(dict.fromkeys(shared))
    _check_inputs(x, y, cur, mdl, names, shared, source)
    layout = Layout.build(mdl, names, shared)
    n, p = x.size, len(layout.labels)
    if n <= p:
        raise InputError(
            _("{n} observations are too few for {p} parameters (need more than {p})").format(n=n, p=p),
            where=_where(source),
        )
    problem = Problem(layout, x, y, cur)
    theta, h, rss = _exact_minimum(problem, x, y, cur, names, source)
    used = "exact"
    if optimizer == "drc":
        theta_drc = drc_fit(problem, mdl, layout, x, y, cur, names)
        if theta_drc is not None:
            with np.errstate(all="ignore"):
                h2, _grad2, rss2 = problem.half_hessian(theta_drc)
            # the same minimum within drc's tolerance: take drc's point, as drc reports it
            if np.isfinite(rss2) and rss2 <= rss * (1.0 + 1e-6) + 1e-300:
                theta, h, rss, used = theta_drc, h2, rss2, "drc"
    elif optimizer != "exact":
        raise InputError(_("unknown optimizer {name}").format(name=optimizer), where=_where(source))
    vcov = _covariance(h, rss, n - p, source)
    return FitResult(mdl, layout, theta, vcov, rss, n, n - p, x, y, cur, used)


def _observations(doses, responses, curves):
    """(doses, responses, each observation's curve name, the curve names in order of appearance)."""
    x = np.asarray(doses, dtype=float).ravel()
    y = np.asarray(responses, dtype=float).ravel()
    cur = (
        np.full(x.size, SINGLE_CURVE, dtype=object) if curves is None else np.asarray(curves, object).ravel()
    )
    names = tuple(dict.fromkeys(str(c) for c in cur))
    cur = np.array([str(c) for c in cur], dtype=object)
    return x, y, cur, names


def _exact_minimum(problem: Problem, x, y, cur, names: tuple[str, ...], source):
    """(theta, half Hessian, RSS) at the exact least-squares minimum: Levenberg-Marquardt from
    each self-starter variant (a shared parameter starts at the curves' mean), the lowest RSS
    kept, then Newton steps on the full Hessian."""
    from scipy.optimize import least_squares

    mdl, layout = problem.model, problem.layout
    p = len(layout.labels)
    per_curve = {c: start_values(mdl, x[cur == c], y[cur == c]) for c in names}
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
        theta = newton_polish(problem, problem.to_theta(best.x))
        h, _grad, rss = problem.half_hessian(theta)
    return theta, h, rss


def _covariance(h: np.ndarray, rss: float, df: int, source) -> np.ndarray:
    """drc's vcov = (RSS / df) H^-1 with H half the Hessian; refused where the minimum is not
    clear (a Hessian that is not finite or not positive definite)."""
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
    return (rss / df) * np.linalg.inv(h)
