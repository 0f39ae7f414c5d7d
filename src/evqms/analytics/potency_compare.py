"""Comparing fitted curves: parallelism F test, ED50 ratios (delta and Fieller intervals) and
the USP-style relative potency of a test lot against a reference lot (USP <1032>/<1034>:
parallel curves, i.e. common slope and asymptotes, potency = horizontal shift)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evqms.errors import InputError, location
from evqms.i18n import _


def fieller_interval(a: float, b: float, var_a: float, var_b: float, cov_ab: float, t: float):
    """Fieller's confidence interval for a/b; None when b is not clearly non-zero (the set is
    then unbounded), as Fieller's g = t^2 var_b / b^2 >= 1."""
    g = t * t * var_b / (b * b)
    if g >= 1.0:
        return None
    # roots in rho of (a - rho b)^2 = t^2 (var_a - 2 rho cov_ab + rho^2 var_b), divided by b^2
    ratio = a / b
    k = t * t / (b * b)
    mid = ratio - k * cov_ab
    disc = mid * mid - (1.0 - g) * (ratio * ratio - k * var_a)
    half = float(np.sqrt(max(disc, 0.0)))
    return [float((mid - half) / (1.0 - g)), float((mid + half) / (1.0 - g))]


def ratio_of_eds(fit, numerator: str, denominator: str, p: float = 50.0, level: float = 0.95) -> dict:
    """ED_p(numerator) / ED_p(denominator) with delta-method and Fieller intervals (t, residual df);
    the covariance of the two EDs is used, so shared parameters are accounted for."""
    a, ga = fit.ed_gradient(numerator, p)
    b, gb = fit.ed_gradient(denominator, p)
    v = fit.vcov
    var_a, var_b, cov = float(ga @ v @ ga), float(gb @ v @ gb), float(ga @ v @ gb)
    ratio = a / b
    grad = ga / b - gb * a / (b * b)
    se = float(np.sqrt(max(grad @ v @ grad, 0.0)))
    t = fit.t_quantile(level)
    return {
        "estimate": float(ratio),
        "se": se,
        "delta_ci": [float(ratio - t * se), float(ratio + t * se)],
        "fieller_ci": fieller_interval(a, b, var_a, var_b, cov, t),
    }


def compare_to_reference(fit, reference: str | None = None, p: float = 50.0) -> list[dict]:
    reference = reference or fit.curves[0]
    if reference not in fit.curves:
        raise InputError(
            _("reference curve {name} not found; curves are {names}").format(
                name=reference, names=", ".join(fit.curves)
            ),
            where=location(field="reference"),
        )
    out = []
    for curve in fit.curves:
        if curve == reference:
            continue
        out.append(
            {
                "curve": curve,
                "reference": reference,
                "ed50_ratio": ratio_of_eds(fit, curve, reference, p),
                "relative_potency": ratio_of_eds(fit, reference, curve, p),
            }
        )
    return out


def f_test(rss_reduced: float, df_reduced: int, rss_full: float, df_full: int) -> dict:
    from scipy import stats

    df1 = df_reduced - df_full
    F = ((rss_reduced - rss_full) / df1) / (rss_full / df_full)
    F = max(float(F), 0.0)
    return {"F": F, "df1": int(df1), "df2": int(df_full), "p": float(stats.f.sf(F, df1, df_full))}


def parallelism_test(fit) -> dict | None:
    """F test of a common slope b against separate slopes (other parameters as in `fit`)."""
    from .potency_fit import fit_dose_response

    if len(fit.curves) < 2:
        return None
    base = tuple(s for s in fit.layout.shared if s != "b")
    full = fit if "b" not in fit.layout.shared else None
    reduced = fit if "b" in fit.layout.shared else None
    args = (fit.doses, fit.responses, fit.curve_of, fit.model)
    if full is None:
        full = fit_dose_response(*args, shared=base)
    if reduced is None:
        reduced = fit_dose_response(*args, shared=base + ("b",))
    return f_test(reduced.rss, reduced.df, full.rss, full.df)


@dataclass
class USPRelativePotency:
    """Relative potency of `test` against `reference` from the constrained (parallel) fit."""

    reference: str
    test: str
    model: str
    potency: dict  # ED50(reference) / ED50(test): estimate, se, delta_ci, fieller_ci
    log_ci: list  # exp(log RP +/- t se(log RP))
    parallelism: dict  # F test, separate curves vs common b, c, d
    constrained: object  # FitResult with shared b, c, d
    unconstrained: object  # FitResult with all parameters per lot

    def to_dict(self) -> dict:
        return {
            "reference": self.reference,
            "test": self.test,
            "model": self.model,
            "relative_potency": self.potency,
            "log_ci": self.log_ci,
            "parallelism": self.parallelism,
            "constrained_fit": self.constrained.to_dict(reference=self.reference),
        }


def usp_relative_potency(
    doses, responses, lots, reference: str, test: str, model: str = "LL4", level: float = 0.95, source=None
) -> USPRelativePotency:
    """USP-style relative potency: the two lots are fitted with common slope and asymptotes
    (parallel curves) and the potency is the horizontal shift ED50(reference)/ED50(test); the
    parallelism F test compares that fit with one of fully separate curves."""
    from .potency_fit import fit_dose_response
    from .potency_models import get_model

    x = np.asarray(doses, float)
    y = np.asarray(responses, float)
    lot = np.asarray([str(v) for v in lots], dtype=object)
    for name in (reference, test):
        if not np.any(lot == name):
            raise InputError(
                _("lot {name} has no data").format(name=name), where=location(file=source, field="lot")
            )
    keep = (lot == reference) | (lot == test)
    mdl = get_model(model) if isinstance(model, str) else model
    if mdl is None:
        raise InputError(_("unknown model {name}").format(name=model), where=location(file=source))
    common = tuple(p for p in mdl.params if p != "e")
    # reference first, so that it is the first curve of the fits
    order = np.argsort(lot[keep] != reference, kind="stable")
    xs, ys, ls = x[keep][order], y[keep][order], lot[keep][order]
    constrained = fit_dose_response(xs, ys, ls, mdl, shared=common, source=source)
    unconstrained = fit_dose_response(xs, ys, ls, mdl, shared=(), source=source)
    potency = ratio_of_eds(constrained, reference, test, 50.0, level)
    a, ga = constrained.ed_gradient(reference, 50.0)
    b, gb = constrained.ed_gradient(test, 50.0)
    g = ga / a - gb / b
    se_log = float(np.sqrt(g @ constrained.vcov @ g))
    t = constrained.t_quantile(level)
    log_rp = float(np.log(a / b))
    log_ci = [float(np.exp(log_rp - t * se_log)), float(np.exp(log_rp + t * se_log))]
    parallel = f_test(constrained.rss, constrained.df, unconstrained.rss, unconstrained.df)
    return USPRelativePotency(
        reference, test, mdl.name, potency, log_ci, parallel, constrained, unconstrained
    )
