"""Dose-response model functions as the R package drc defines them (pure numpy).

Every model here has the form f(x) = c + (d - c) g(z), z = b (log x - log e), with g:

- LL (log-logistic, LL.4 / LL.3 / LL2.4):  g(z) = 1 / (1 + exp(z))
- W1 (Weibull type 1, W1.4):               g(z) = exp(-exp(z))
- W2 (Weibull type 2, W2.4):               g(z) = 1 - exp(-exp(z))

LL.3 is LL.4 with c fixed at 0; LL2.4 is LL.4 with e replaced by log(e) (drc reports its ED
values on the log scale). The functions return the value, the gradient and the Hessian of f
with respect to (b, c, d, e) analytically: drc's standard errors come from the full Hessian of
the residual sum of squares, which needs the second derivatives of f.

ED values follow drc's ED() defaults (type = "relative", reference = "control"): ED_p is the
dose at which the response has moved p % of the way from the control asymptote (the response
at dose 0) towards the other one. For a curve that starts at d (LL/W1 with b > 0, W2 with
b < 0) that is g(z_p) = 1 - p/100; for one that starts at c (a rising LL.4 with b < 0, say)
drc's EDhelper swaps p for 100 - p, so g(z_p) = p/100. ED50 is the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PARAMS = ("b", "c", "d", "e")
# |z| is capped here: beyond it g is at its asymptote to machine precision and its derivatives
# vanish, while exp(z)**2 would overflow (inf * 0 = nan) in the Weibull second derivatives.
_ZMAX = 300.0


@dataclass(frozen=True)
class Model:
    name: str  # canonical name used by the CLI and JSON ("LL4", "W2.4", ...)
    drc_name: str  # the drc function that defines the same model ("LL.4", "W2.4", ...)
    family: str  # "ll", "w1" or "w2"
    fixed: dict = field(default_factory=dict)  # parameters held at a value (LL.3: c = 0)
    log_e: bool = False  # LL2.4: the parameter "e" is log(ED50)

    @property
    def params(self) -> tuple[str, ...]:
        """The parameters that are estimated, in drc's order."""
        return tuple(p for p in PARAMS if p not in self.fixed)

    def decreasing_sign(self) -> float:
        """Sign of b for a curve that decreases with dose (c = low, d = high asymptote)."""
        return -1.0 if self.family == "w2" else 1.0


MODELS = {
    "LL4": Model("LL4", "LL.4", "ll"),
    "LL3": Model("LL3", "LL.3", "ll", fixed={"c": 0.0}),
    "LL2.4": Model("LL2.4", "LL2.4", "ll", log_e=True),
    "W1.4": Model("W1.4", "W1.4", "w1"),
    "W2.4": Model("W2.4", "W2.4", "w2"),
}
_ALIASES = {key.upper().replace(".", ""): key for key in MODELS}


def get_model(name: str) -> Model | None:
    """Look a model up by name; "LL.4", "ll4", "W24" and "W2.4" are all accepted."""
    key = _ALIASES.get(str(name).upper().replace(".", "").replace("_", ""))
    return MODELS[key] if key else None


def _g(family: str, z: np.ndarray):
    """g, g' and g'' at z."""
    if family == "ll":
        g = 0.5 * (1.0 - np.tanh(0.5 * z))  # = 1/(1+exp(z)) without overflow
        g1 = -g * (1.0 - g)
        g2 = -g1 * (1.0 - 2.0 * g)
        return g, g1, g2
    ez = np.exp(z)
    s = np.exp(-ez)
    if family == "w1":
        return s, -ez * s, s * ez * (ez - 1.0)
    if family == "w2":
        return -np.expm1(-ez), ez * s, ez * s * (1.0 - ez)
    raise ValueError(family)


def g_inverse(family: str, q: float) -> float:
    """z at which g(z) = q (0 < q < 1)."""
    if family == "ll":
        return float(np.log((1.0 - q) / q))
    if family == "w1":
        return float(np.log(-np.log(q)))
    if family == "w2":
        return float(np.log(-np.log1p(-q)))
    raise ValueError(family)


def curve_value(model: Model, x: np.ndarray, theta: dict) -> np.ndarray:
    """f(x) for one curve's parameters {b, c, d, e} (fixed ones may be omitted)."""
    return evaluate(model, x, theta, order=0)[0]


def evaluate(model: Model, x: np.ndarray, theta: dict, order: int = 2):
    """f, df (n x 4) and d2f (n x 4 x 4) over (b, c, d, e) at the doses x (x >= 0)."""
    p = {**model.fixed, **theta}
    b, c, d, e = (float(p[k]) for k in PARAMS)
    x = np.asarray(x, dtype=float)
    pos = x > 0
    loge = e if model.log_e else np.log(e)
    # Dose 0 is the limit log x -> -inf: g sits at its asymptote and every derivative in b, e
    # vanishes; L = 0 with z at the cap gives exactly that without inf * 0.
    L = np.where(pos, np.log(np.where(pos, x, 1.0)) - loge, 0.0)
    z = np.where(pos, np.clip(b * L, -_ZMAX, _ZMAX), -np.sign(b) * _ZMAX)
    g, g1, g2 = _g(model.family, z)
    f = c + (d - c) * g
    if order == 0:
        return f, None, None
    dc = d - c
    if model.log_e:
        z_e, z_be, z_ee = -b, -1.0, 0.0
    else:
        z_e, z_be, z_ee = -b / e, -1.0 / e, b / (e * e)
    n = x.size
    jac = np.empty((n, 4))
    jac[:, 0] = dc * g1 * L
    jac[:, 1] = 1.0 - g
    jac[:, 2] = g
    jac[:, 3] = dc * g1 * z_e
    if order == 1:
        return f, jac, None
    hes = np.zeros((n, 4, 4))
    hes[:, 0, 0] = dc * g2 * L * L
    hes[:, 0, 1] = hes[:, 1, 0] = -g1 * L
    hes[:, 0, 2] = hes[:, 2, 0] = g1 * L
    hes[:, 0, 3] = hes[:, 3, 0] = dc * (g2 * L * z_e + g1 * z_be)
    hes[:, 1, 3] = hes[:, 3, 1] = -g1 * z_e
    hes[:, 2, 3] = hes[:, 3, 2] = g1 * z_e
    hes[:, 3, 3] = dc * (g2 * z_e * z_e + g1 * z_ee)
    return f, jac, hes


def ed_dose(model: Model, theta: dict, p: float):
    """ED_p on the dose scale and its gradient over (b, c, d, e)."""
    par = {**model.fixed, **theta}
    b, e = float(par["b"]), float(par["e"])
    if b * model.decreasing_sign() < 0:
        # dose 0 sits at c: measure p from c, as drc's EDhelper does for reference = "control"
        p = 100.0 - p
    zp = g_inverse(model.family, 1.0 - p / 100.0)
    loge = e if model.log_e else float(np.log(e))
    value = float(np.exp(loge + zp / b))
    grad = np.zeros(4)
    grad[0] = -value * zp / (b * b)
    grad[3] = value if model.log_e else value / e
    return value, grad
