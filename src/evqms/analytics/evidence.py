"""Evidence from every administration: exact intervals, change from baseline, responders, lot signals.

Pure numpy/scipy. Inputs are plain Python numbers, lists and dicts; every result is a frozen
dataclass with `to_dict()` (JSON-ready, the method named by key and by label in the reader's
language, see `method_labels()`). Bad input raises `evqms.errors.InputError`.

    exact_binomial_ci(events, n)                 -> (low, high)   Clopper-Pearson (n = 0 refused)
    exact_poisson_ci(events)                     -> (low, high)   Garwood, for a count
    rate_per(events, exposures, model=...)       -> Rate
        model="binomial": `events` is the number of patients (or administrations) with at least
        one event, out of `exposures` of them; the rate is a proportion (Clopper-Pearson).
        model="poisson" (default): `events` counts every event, several per administration
        possible; the rate is events per unit of exposure (Garwood). `per=100` scales to
        "per 100 administrations".
    paired_change(before, after, direction=...)  -> PairedChange
        one value per patient in each list, in the same order; None or NaN is a missing value
        and drops that patient's pair (counted in `dropped`). Mean change with its t-interval,
        two-sided paired t-test and Wilcoxon signed-rank p-values.
    mid_responders(before, after, mid, direction, expected=None) -> Responders
        share of patients whose change reaches the minimal important difference in the
        direction of benefit, with the completeness of the data beside it.
    rating_responders(ratings, threshold, direction, expected=None) -> RatingResponders
        for an instrument that rates the change itself (no baseline, e.g. PGIC 1-7): the
        distribution of the ratings and the share at or beyond `threshold` in the direction of
        benefit, with its Clopper-Pearson interval and the completeness beside it.
    lot_signal({"lot": (events, exposures), ...}, alpha=0.05) -> list[LotSignal]
        per lot, a one-sided exact test that its event rate exceeds the rest of the product's,
        Holm-adjusted over the lots tested.

`direction` is "higher_better" (a higher score is a benefit) or "lower_better" (e.g. a pain
score). Changes are always after - before; `direction` decides what counts as improvement.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sps

from evqms.errors import InputError, location
from evqms.i18n import _

DIRECTIONS = ("higher_better", "lower_better")
RATE_MODELS = ("poisson", "binomial")
# R's wilcox.test computes the exact null distribution below 50 pairs (without ties or zeros)
WILCOXON_EXACT_MAX_N = 49
# a change reaches the MID despite binary rounding (12.3 - 10.0 = 2.3000000000000007, 0.3 - 0.1 < 0.2)
MID_TOLERANCE = 1e-9


def method_labels() -> dict[str, str]:
    """The methods' names in the reader's language (read at call time, so the language is current)."""
    return {
        "clopper_pearson": _("Clopper-Pearson exact interval"),
        "garwood": _("Garwood exact Poisson interval"),
        "paired_t": _("paired t-test"),
        "wilcoxon_exact": _("Wilcoxon signed-rank test (exact)"),
        "wilcoxon_normal": _("Wilcoxon signed-rank test (normal approximation, continuity correction)"),
        "conditional_binomial": _("conditional binomial test of two Poisson rates (one-sided)"),
        "holm": _("Holm adjustment over the lots tested"),
    }


def _label(key: str | None) -> str | None:
    return None if key is None else method_labels()[key]


# --- checking input -----------------------------------------------------------------------------


def _count(value, field: str) -> int:
    """A whole, non-negative number of events or subjects (5.0 is accepted as 5)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(_("{name} must be a whole number").format(name=field), where=location(field=field))
    if not math.isfinite(value) or value != int(value):
        raise InputError(_("{name} must be a whole number").format(name=field), where=location(field=field))
    if value < 0:
        raise InputError(_("{name} cannot be negative").format(name=field), where=location(field=field))
    return int(value)


def _confidence(confidence) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 < confidence < 1:
        raise InputError(
            _("the confidence level must lie between 0 and 1 (e.g. 0.95)"), where=location(field="confidence")
        )
    return float(confidence)


def _direction(direction) -> str:
    if direction not in DIRECTIONS:
        raise InputError(
            _("direction must be higher_better or lower_better"), where=location(field="direction")
        )
    return direction


def _positive(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(
            _("{name} must be a positive number").format(name=field), where=location(field=field)
        )
    if not (value > 0 and math.isfinite(value)):
        raise InputError(
            _("{name} must be a positive number").format(name=field), where=location(field=field)
        )
    return float(value)


def _value(v) -> float:
    """A measured value; None and NaN are missing (NaN)."""
    if v is None:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
        raise InputError(_("a value must be a number or empty, not {value!r}").format(value=v))
    if math.isinf(v):
        raise InputError(_("a value must be a finite number"))
    return float(v)


def _pairs(before, after) -> tuple[np.ndarray, int]:
    """The changes (after - before) of the complete pairs, and how many pairs lacked a value."""
    before, after = list(before), list(after)
    if len(before) != len(after):
        raise InputError(
            _("before has {n_before} values and after {n_after}: give one of each per patient").format(
                n_before=len(before), n_after=len(after)
            )
        )
    b = np.array([_value(v) for v in before], dtype=float)
    a = np.array([_value(v) for v in after], dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep] - b[keep], int((~keep).sum())


# --- exact intervals ----------------------------------------------------------------------------


def exact_binomial_ci(events, n, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson exact interval of a proportion (Clopper & Pearson, Biometrika 1934), from
    the beta quantiles as R's binom.test: low = Beta(a/2; x, n-x+1), high = Beta(1-a/2; x+1, n-x).
    At x = 0 the low end is exactly 0, at x = n the high end exactly 1 (a one-tailed a/2 bound
    on the other side). n = 0 is refused: no one exposed is no evidence, and (0, 1) would read
    as a result."""
    x, n = _count(events, "events"), _count(n, "n")
    conf = _confidence(confidence)
    if n == 0:
        raise InputError(
            _("a proportion needs at least one patient or administration"), where=location(field="n")
        )
    if x > n:
        raise InputError(
            _("{events} events among {n}: a proportion cannot exceed 1").format(events=x, n=n),
            where=location(field="events"),
        )
    tail = (1 - conf) / 2
    low = 0.0 if x == 0 else float(sps.beta.ppf(tail, x, n - x + 1))
    high = 1.0 if x == n else float(sps.beta.ppf(1 - tail, x + 1, n - x))
    return low, high


def exact_poisson_ci(events, confidence: float = 0.95) -> tuple[float, float]:
    """Garwood's exact interval of a Poisson count (Garwood, Biometrika 1936), from the chi-square
    quantiles: low = chi2(a/2; 2x) / 2 (0 at x = 0), high = chi2(1-a/2; 2x+2) / 2."""
    x = _count(events, "events")
    tail = (1 - _confidence(confidence)) / 2
    low = 0.0 if x == 0 else float(sps.chi2.ppf(tail, 2 * x)) / 2
    return low, float(sps.chi2.ppf(1 - tail, 2 * x + 2)) / 2


@dataclass(frozen=True)
class Rate:
    """A rate with its exact interval: events / exposures x per."""

    events: int
    exposures: float
    per: float
    rate: float
    low: float
    high: float
    confidence: float
    model: str  # "poisson" (events per exposure) or "binomial" (proportion with >= 1 event)
    method: str

    def to_dict(self) -> dict:
        return {**asdict(self), "method_label": _label(self.method)}


def rate_per(
    events, exposures, *, model: str = "poisson", per: float = 1.0, confidence: float = 0.95
) -> Rate:
    """Events per exposure with an exact interval, scaled by `per` (e.g. 100 administrations).

    model="poisson": every event counts, several per administration possible; Garwood's exact
    interval of the count divided by the exposure (Ulm, Am J Epidemiol 1990). Exposures may be
    fractional (patient-years). model="binomial": `events` is the number of patients (or
    administrations) with at least one event among `exposures`; Clopper-Pearson."""
    if model not in RATE_MODELS:
        raise InputError(_("model must be poisson or binomial"), where=location(field="model"))
    conf = _confidence(confidence)
    per = _positive(per, "per")
    if model == "binomial":
        x, n = _count(events, "events"), _count(exposures, "exposures")
        low, high = exact_binomial_ci(x, n, conf)
        method = "clopper_pearson"
    else:
        x = _count(events, "events")
        n = _positive(exposures, "exposures")
        low, high = (v / n for v in exact_poisson_ci(x, conf))
        method = "garwood"
    return Rate(x, float(n), float(per), x / n * per, low * per, high * per, conf, model, method)


# --- change from baseline -----------------------------------------------------------------------


@dataclass(frozen=True)
class PairedChange:
    """Change from baseline (after - before) over the patients with both values.

    Figures that need more data than there is are None: the t-interval and t-test need two
    pairs, and a t-test of changes that are all equal (SD 0) has no p-value."""

    n: int
    dropped: int  # pairs with a missing value
    direction: str
    mean_change: float | None
    low: float | None
    high: float | None
    confidence: float
    sd_change: float | None
    improved: int  # change in the direction of benefit
    worsened: int
    unchanged: int
    t_statistic: float | None
    t_p_value: float | None
    wilcoxon_statistic: float | None  # the smaller of the signed-rank sums, as scipy
    wilcoxon_p_value: float | None
    wilcoxon_method: str | None  # "wilcoxon_exact" or "wilcoxon_normal"
    t_method: str = "paired_t"

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "t_method_label": _label(self.t_method),
            "wilcoxon_method_label": _label(self.wilcoxon_method),
        }


def _paired_t(d: np.ndarray, conf: float) -> tuple:
    """Mean, its t-interval, SD, t and two-sided p (Student 1908; R's t.test(paired = TRUE))."""
    n = len(d)
    if n == 0:
        return None, None, None, None, None, None
    mean = float(d.mean())
    if n < 2:
        return mean, None, None, None, None, None
    sd = float(d.std(ddof=1))
    se = sd / math.sqrt(n)
    half = float(sps.t.ppf(1 - (1 - conf) / 2, n - 1)) * se
    if se == 0:
        return mean, mean, mean, sd, None, None
    t = mean / se
    return mean, mean - half, mean + half, sd, t, float(2 * sps.t.sf(abs(t), n - 1))


def _wilcoxon(d: np.ndarray) -> tuple[float | None, float | None, str | None]:
    """Two-sided Wilcoxon signed-rank test, zeros dropped, chosen as R's wilcox.test does: the exact
    null distribution below 50 non-zero changes without ties or zeros, otherwise the normal
    approximation with the tie-corrected variance and a continuity correction."""
    nonzero = d[d != 0]
    if len(nonzero) == 0:
        return None, None, None
    ties = len(np.unique(np.abs(nonzero))) < len(nonzero)
    exact = len(nonzero) <= WILCOXON_EXACT_MAX_N and not ties and len(nonzero) == len(d)
    if exact:
        res = sps.wilcoxon(nonzero, method="exact")
    else:
        res = sps.wilcoxon(d, zero_method="wilcox", correction=True, method="asymptotic")
    return float(res.statistic), float(res.pvalue), "wilcoxon_exact" if exact else "wilcoxon_normal"


def paired_change(before, after, confidence: float = 0.95, direction: str = "higher_better") -> PairedChange:
    """Change from baseline per patient: mean change with its t-interval, the paired t-test and
    the Wilcoxon signed-rank test (both two-sided), counts improved/worsened/unchanged by
    `direction`. A patient missing either value is dropped and counted in `dropped`."""
    conf = _confidence(confidence)
    direction = _direction(direction)
    d, dropped = _pairs(before, after)
    mean, low, high, sd, t, p_t = _paired_t(d, conf)
    w_stat, w_p, w_method = _wilcoxon(d)
    benefit = d if direction == "higher_better" else -d
    return PairedChange(
        n=len(d),
        dropped=dropped,
        direction=direction,
        mean_change=mean,
        low=low,
        high=high,
        confidence=conf,
        sd_change=sd,
        improved=int((benefit > 0).sum()),
        worsened=int((benefit < 0).sum()),
        unchanged=int((benefit == 0).sum()),
        t_statistic=t,
        t_p_value=p_t,
        wilcoxon_statistic=w_stat,
        wilcoxon_p_value=w_p,
        wilcoxon_method=w_method,
    )


# --- responders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Responders:
    """Patients whose change reaches the minimal important difference (MID) in the direction of
    benefit, among those with both values; `completeness` says how many of the expected that is.

    `share_if_missing_failed` and `share_if_missing_responded` bound the share over all expected
    patients: the missing counted as non-responders, then as responders."""

    responders: int
    available: int  # complete pairs
    expected: int
    completeness: float | None
    complete: bool
    share: float | None
    low: float | None
    high: float | None
    confidence: float
    share_if_missing_failed: float | None
    share_if_missing_responded: float | None
    mid: float
    direction: str
    method: str = "clopper_pearson"

    def to_dict(self) -> dict:
        return {**asdict(self), "method_label": _label(self.method)}


def mid_responders(before, after, mid, direction: str, expected=None, confidence: float = 0.95) -> Responders:
    """Share of patients whose change reaches `mid` (> 0, in the score's units) in the direction of
    benefit: change >= mid when higher is better, change <= -mid when lower is better; its
    Clopper-Pearson interval among the complete pairs. `expected` is the number of patients the
    measurement was due for (default: the patients listed, with or without values)."""
    conf = _confidence(confidence)
    direction = _direction(direction)
    mid = _positive(mid, "mid")
    d, dropped = _pairs(before, after)
    expected = len(d) + dropped if expected is None else _count(expected, "expected")
    if expected < len(d):
        raise InputError(
            _("{available} patients have both values but only {expected} were expected").format(
                available=len(d), expected=expected
            ),
            where=location(field="expected"),
        )
    benefit = d if direction == "higher_better" else -d
    hits = int((benefit >= mid - MID_TOLERANCE * mid).sum())
    low, high = exact_binomial_ci(hits, len(d), conf) if len(d) else (None, None)
    missing = expected - len(d)
    return Responders(
        responders=hits,
        available=len(d),
        expected=expected,
        completeness=len(d) / expected if expected else None,
        complete=expected > 0 and missing == 0,
        share=hits / len(d) if len(d) else None,
        low=low,
        high=high,
        confidence=conf,
        share_if_missing_failed=hits / expected if expected else None,
        share_if_missing_responded=(hits + missing) / expected if expected else None,
        mid=mid,
        direction=direction,
    )


@dataclass(frozen=True)
class RatingResponders:
    """Ratings of change (no baseline): how many gave each rating, and the responders among the
    patients rated; the bounds count the missing as non-responders, then as responders."""

    distribution: list  # [[rating, count], ...] in increasing rating
    responders: int
    available: int  # patients rated
    expected: int
    completeness: float | None
    complete: bool
    share: float | None
    low: float | None
    high: float | None
    confidence: float
    share_if_missing_failed: float | None
    share_if_missing_responded: float | None
    threshold: float
    direction: str
    method: str = "clopper_pearson"

    def to_dict(self) -> dict:
        return {**asdict(self), "method_label": _label(self.method)}


def rating_responders(
    ratings, threshold, direction: str, expected=None, confidence: float = 0.95
) -> RatingResponders:
    """A patient responds when the rating is at or beyond `threshold` in the direction of benefit
    (<= threshold when lower is better, PGIC 1-2; >= when higher is better). None or NaN is a
    missing rating. `expected`: the patients the rating was due for (default: those listed)."""
    conf = _confidence(confidence)
    direction = _direction(direction)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not math.isfinite(threshold):
        raise InputError(_("the responder threshold must be a number"), where=location(field="threshold"))
    values = np.array([_value(v) for v in ratings], dtype=float)
    given = values[~np.isnan(values)]
    expected = len(values) if expected is None else _count(expected, "expected")
    if expected < len(given):
        raise InputError(
            _("{available} patients have a rating but only {expected} were expected").format(
                available=len(given), expected=expected
            ),
            where=location(field="expected"),
        )
    hits = int((given <= threshold).sum() if direction == "lower_better" else (given >= threshold).sum())
    ratings_seen, counts = np.unique(given, return_counts=True)
    low, high = exact_binomial_ci(hits, len(given), conf) if len(given) else (None, None)
    missing = expected - len(given)
    return RatingResponders(
        distribution=[[float(r), int(c)] for r, c in zip(ratings_seen, counts, strict=True)],
        responders=hits,
        available=len(given),
        expected=expected,
        completeness=len(given) / expected if expected else None,
        complete=expected > 0 and missing == 0,
        share=hits / len(given) if len(given) else None,
        low=low,
        high=high,
        confidence=conf,
        share_if_missing_failed=hits / expected if expected else None,
        share_if_missing_responded=(hits + missing) / expected if expected else None,
        threshold=float(threshold),
        direction=direction,
    )


# --- lot signal ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotSignal:
    """One lot against the rest of the product: is its event rate higher?"""

    lot: str
    events: int
    exposures: float
    rest_events: int
    rest_exposures: float
    rate: float | None
    rest_rate: float | None
    tested: bool  # False: no exposure in the lot or in the rest, nothing to compare
    p_value: float | None
    p_adjusted: float | None
    flagged: bool
    alpha: float
    lots_tested: int
    method: str = "conditional_binomial"
    adjustment: str = "holm"

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "method_label": _label(self.method),
            "adjustment_label": _label(self.adjustment),
        }


def _conditional_p(x: int, t: float, y: int, s: float) -> float:
    """P(X >= x) for X ~ Binomial(x + y, t / (t + s)): given the total events, the lot's share is
    binomial when the two Poisson rates are equal (Przyborowski & Wilenski, Biometrika 1940)."""
    if x == 0:
        return 1.0
    return float(sps.binom.sf(x - 1, x + y, t / (t + s)))


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (Holm, Scand J Statist 1979), in the given order:
    the i-th smallest times (m - i + 1), kept non-decreasing, capped at 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def lot_signal(events_by_lot: dict, alpha: float = 0.05) -> list[LotSignal]:
    """For each lot, a one-sided exact test that its event rate exceeds that of the product's
    other lots taken together: the conditional binomial test of two Poisson rates. It is chosen
    over Fisher's exact test because the counts are events per administration, of which one
    administration may have several; Fisher's test needs patients with and without an event.
    The p-values are Holm-adjusted over the lots tested (family-wise error at `alpha`, never
    less powerful than Bonferroni); `flagged` is p_adjusted < alpha.

    `events_by_lot` maps the lot's identifier to (events, exposures), e.g. administrations."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise InputError(_("alpha must lie between 0 and 1 (e.g. 0.05)"), where=location(field="alpha"))
    lots = {}
    for lot, pair in dict(events_by_lot).items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise InputError(_("lot {lot}: give (events, exposures)").format(lot=lot))
        try:  # the lot is named, so a table of many lots shows which row is wrong
            events = _count(pair[0], "events")
            exposures = 0.0 if pair[1] == 0 else _positive(pair[1], "exposures")
        except InputError as e:
            raise InputError(
                _("lot {lot}: {message}").format(lot=lot, message=e.message), where=e.where
            ) from None
        lots[str(lot)] = (events, exposures)
    total_x = sum(x for x, _t in lots.values())
    total_t = sum(t for _x, t in lots.values())
    tested = {}
    for lot, (x, t) in lots.items():
        if t > 0 and total_t - t > 0:
            tested[lot] = _conditional_p(x, t, total_x - x, total_t - t)
    adjusted = dict(zip(tested, holm(list(tested.values())), strict=True))
    out = []
    for lot, (x, t) in lots.items():
        y, s = total_x - x, total_t - t
        out.append(
            LotSignal(
                lot=lot, events=x, exposures=t, rest_events=y, rest_exposures=s,
                rate=x / t if t else None, rest_rate=y / s if s else None,
                tested=lot in tested, p_value=tested.get(lot), p_adjusted=adjusted.get(lot),
                flagged=lot in adjusted and adjusted[lot] < alpha, alpha=float(alpha), lots_tested=len(tested),
            )
        )  # fmt: skip
    return out
