"""Evidence statistics against published tables, R's printed output and hand computation.

Where a figure comes from is said beside it. Binomial sums are done here with math.comb, an
implementation independent of the beta and chi-square quantiles the module uses.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import polib
import pytest

import evqms
from evqms.analytics.evidence import (
    exact_binomial_ci,
    exact_poisson_ci,
    holm,
    lot_signal,
    method_labels,
    mid_responders,
    paired_change,
    rate_per,
    rating_responders,
)
from evqms.errors import InputError

SRC = Path(evqms.__file__).resolve().parent

# Student (1908) / Cushny & Peebles sleep data, R's `sleep`: extra hours of sleep, 10 patients
SLEEP_DRUG1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_DRUG2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def binom_cdf(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def poisson_cdf(k: int, mu: float) -> float:
    return sum(math.exp(-mu) * mu**i / math.factorial(i) for i in range(k + 1))


# --- Clopper-Pearson ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, n, low, high",
    [
        # published Clopper-Pearson 95 % limits (standard tables; R binom.test prints the same:
        # 1/10 -> 0.002528579 0.445016112, 5/10 -> 0.187086 0.812914)
        (0, 10, 0.0, 0.3085),
        (1, 10, 0.0025, 0.4450),
        (5, 10, 0.1871, 0.8129),
        (10, 10, 0.6915, 1.0),
    ],
)
def test_clopper_pearson_published(x, n, low, high):
    lo, hi = exact_binomial_ci(x, n)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


def test_clopper_pearson_closed_forms_at_the_edges():
    # by hand: at x = 0 the upper limit solves (1 - p)^n = 0.025, p = 1 - 0.025^(1/10) = 0.308497;
    # at x = 1 the lower limit solves 1 - (1 - p)^n = 0.025, p = 1 - 0.975^(1/10) = 0.0025286
    assert exact_binomial_ci(0, 10) == (0.0, pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-10))
    assert exact_binomial_ci(1, 10)[0] == pytest.approx(1 - 0.975 ** (1 / 10), rel=1e-10)
    assert exact_binomial_ci(10, 10) == (pytest.approx(0.025 ** (1 / 10), rel=1e-10), 1.0)
    # 90 %: the edge takes the one tail a/2 = 0.05
    assert exact_binomial_ci(0, 20, confidence=0.90)[1] == pytest.approx(1 - 0.05 ** (1 / 20), rel=1e-10)


@pytest.mark.parametrize("x, n", [(1, 4), (3, 17), (12, 40)])
def test_clopper_pearson_meets_its_definition(x, n):
    # the limits are where the tail sums are exactly a/2 (Clopper & Pearson 1934)
    lo, hi = exact_binomial_ci(x, n)
    assert 1 - binom_cdf(x - 1, n, lo) == pytest.approx(0.025, abs=1e-9)
    assert binom_cdf(x, n, hi) == pytest.approx(0.025, abs=1e-9)


def test_clopper_pearson_refuses_what_is_not_a_proportion():
    with pytest.raises(InputError, match="at least one"):
        exact_binomial_ci(0, 0)
    with pytest.raises(InputError, match="cannot exceed 1"):
        exact_binomial_ci(11, 10)
    for bad in (-1, 1.5, "3", True, math.nan):
        with pytest.raises(InputError):
            exact_binomial_ci(bad, 10)
    for bad in (0, 1, 95, -0.5):
        with pytest.raises(InputError, match="confidence"):
            exact_binomial_ci(1, 10, confidence=bad)
    assert exact_binomial_ci(3.0, 10.0) == exact_binomial_ci(3, 10)


# --- Garwood ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, low, high",
    [
        # Garwood (1936) 95 % limits of a Poisson count, as tabulated e.g. by Ulm (1990)
        (0, 0.0, 3.689),
        (1, 0.0253, 5.572),
        (5, 1.623, 11.668),
        (10, 4.795, 18.390),
    ],
)
def test_garwood_published(x, low, high):
    lo, hi = exact_poisson_ci(x)
    assert lo == pytest.approx(low, abs=5e-4)
    assert hi == pytest.approx(high, abs=5e-4)


def test_garwood_closed_forms_and_definition():
    # by hand: x = 0, exp(-mu) = 0.025, mu = -ln 0.025 = 3.688879; x = 1 lower, exp(-mu) = 0.975
    assert exact_poisson_ci(0) == (0.0, pytest.approx(-math.log(0.025), rel=1e-10))
    assert exact_poisson_ci(1)[0] == pytest.approx(-math.log(0.975), rel=1e-10)
    lo, hi = exact_poisson_ci(7)
    assert 1 - poisson_cdf(6, lo) == pytest.approx(0.025, abs=1e-9)
    assert poisson_cdf(7, hi) == pytest.approx(0.025, abs=1e-9)


# --- rate_per -----------------------------------------------------------------------------------


def test_rate_per_administration_is_poisson():
    # 5 events in 10 administrations: 0.5 per administration, Garwood 1.623..11.668 / 10
    r = rate_per(5, 10)
    assert (r.model, r.method, r.rate) == ("poisson", "garwood", 0.5)
    assert r.low == pytest.approx(0.1623, abs=5e-5) and r.high == pytest.approx(1.1668, abs=5e-5)
    per100 = rate_per(5, 10, per=100)
    assert per100.rate == 50 and per100.high == pytest.approx(116.68, abs=5e-3)
    # more events than administrations is possible for counts, and exposure may be fractional
    assert rate_per(12, 10).rate == 1.2
    assert rate_per(0, 2.5).high == pytest.approx(3.689 / 2.5, abs=1e-3)


def test_rate_per_patient_is_binomial():
    r = rate_per(1, 10, model="binomial")
    assert (r.rate, r.method) == (0.1, "clopper_pearson")
    assert (r.low, r.high) == (pytest.approx(0.0025, abs=5e-5), pytest.approx(0.4450, abs=5e-5))
    with pytest.raises(InputError, match="cannot exceed 1"):
        rate_per(12, 10, model="binomial")
    with pytest.raises(InputError):
        rate_per(1, 10.5, model="binomial")


def test_rate_per_refuses_bad_input():
    for kwargs in ({"model": "normal"}, {"per": 0}, {"per": -1}):
        with pytest.raises(InputError):
            rate_per(1, 10, **kwargs)
    for exposures in (0, -3, math.inf, None):
        with pytest.raises(InputError, match="exposures"):
            rate_per(1, exposures)


# --- paired change ------------------------------------------------------------------------------


def test_paired_change_matches_students_sleep_data():
    # R: t.test(sleep$extra[11:20], sleep$extra[1:10], paired = TRUE) prints
    # t = 4.0621, df = 9, p-value = 0.002833, 95 % CI 0.7001142 2.4598858, mean difference 1.58.
    # By hand: d = 1.2 2.4 1.3 1.3 0 1 1.8 0.8 4.6 1.4, mean 1.58, SD 1.229995, SE 0.388958,
    # t = 1.58 / 0.388958 = 4.0621.
    r = paired_change(SLEEP_DRUG1, SLEEP_DRUG2)
    assert (r.n, r.dropped) == (10, 0)
    assert r.mean_change == pytest.approx(1.58, abs=1e-12)
    assert r.sd_change == pytest.approx(1.229995, abs=1e-6)
    assert r.t_statistic == pytest.approx(4.0621, abs=5e-5)
    assert r.t_p_value == pytest.approx(0.002833, abs=5e-7)
    assert (r.low, r.high) == (pytest.approx(0.7001142, abs=5e-8), pytest.approx(2.4598858, abs=5e-8))
    assert (r.improved, r.worsened, r.unchanged) == (9, 0, 1)


def test_wilcoxon_with_ties_and_a_zero_uses_the_normal_approximation():
    # R: wilcox.test(..., paired = TRUE) on the sleep data: V = 0, p-value = 0.009091 (it warns it
    # cannot compute the exact p with ties and zeroes). By hand: the zero is dropped, n = 9, all
    # changes positive, ranks 1 2 3 4.5 4.5 6 7 8 9, V+ = 45; mean 22.5, variance
    # 9*10*19/24 - (2^3 - 2)/48 = 71.125; z = (45 - 22.5 - 0.5) / sqrt(71.125) = 2.60862,
    # p = 2 (1 - Phi(2.60862)) = 0.009091.
    r = paired_change(SLEEP_DRUG1, SLEEP_DRUG2)
    assert r.wilcoxon_method == "wilcoxon_normal"
    assert r.wilcoxon_statistic == 0
    assert r.wilcoxon_p_value == pytest.approx(0.009091, abs=5e-7)


def test_wilcoxon_exact_for_small_samples():
    # by hand: 5 positive changes with distinct sizes; of the 2^5 = 32 equally likely sign
    # patterns one gives V- = 0, so the two-sided exact p = 2/32 = 0.0625. With the smallest
    # change negative, V- = 1: patterns with V- <= 1 are 2, p = 2 * 2/32 = 0.125.
    r = paired_change([0, 0, 0, 0, 0], [1, 2, 3, 4, 5])
    assert r.wilcoxon_method == "wilcoxon_exact"
    assert r.wilcoxon_p_value == pytest.approx(0.0625, abs=1e-12)
    r = paired_change([1, 0, 0, 0, 0], [0, 2, 3, 4, 5])
    assert (r.wilcoxon_statistic, r.wilcoxon_p_value) == (1, pytest.approx(0.125, abs=1e-12))


def test_paired_t_by_hand_on_five_changes():
    # by hand: d = 1..5, mean 3, SD sqrt(10/4) = 1.581139, SE 0.707107, t = 3 sqrt 2 = 4.242641,
    # df 4. Student t with 4 df in closed form:
    # F(t) = 1/2 + (3/8) (t / sqrt(1 + t^2/4)) (1 - (t^2/4) / (3 (1 + t^2/4))); with t^2 = 18:
    # t / sqrt(5.5) = 1.809068, 1 - 4.5/16.5 = 0.727273, F = 0.5 + 0.493382 = 0.993382,
    # p = 2 (1 - F) = 0.013235. 95 % t quantile with 4 df 2.776445 (tables): 3 +/- 1.963243.
    r = paired_change([0] * 5, [1, 2, 3, 4, 5])
    assert r.t_statistic == pytest.approx(3 * math.sqrt(2), rel=1e-12)
    assert r.t_p_value == pytest.approx(0.013235, abs=5e-6)
    assert (r.low, r.high) == (pytest.approx(1.036757, abs=5e-6), pytest.approx(4.963243, abs=5e-6))


def test_paired_change_drops_incomplete_pairs_and_follows_direction():
    r = paired_change([10, None, 8, 7, math.nan], [7, 6, None, 9, 3], direction="lower_better")
    assert (r.n, r.dropped) == (2, 3)
    assert r.mean_change == pytest.approx((-3 + 2) / 2)
    # a fall of 3 is a benefit on a lower-is-better score, a rise of 2 is not
    assert (r.improved, r.worsened, r.unchanged) == (1, 1, 0)


def test_paired_change_reports_what_it_cannot_compute_as_none():
    one = paired_change([1], [2])
    assert one.n == 1 and one.mean_change == 1 and one.low is None and one.t_p_value is None
    none = paired_change([None], [2])
    assert (none.n, none.dropped, none.mean_change, none.wilcoxon_p_value) == (0, 1, None, None)
    # all changes equal: no spread, no t-test; the signed-rank test still has its (tied) ranks
    flat = paired_change([1, 2, 3], [2, 3, 4])
    assert flat.sd_change == 0 and flat.t_p_value is None and (flat.low, flat.high) == (1, 1)
    assert flat.wilcoxon_method == "wilcoxon_normal"
    json.dumps(flat.to_dict())


def test_paired_change_refuses_bad_input():
    with pytest.raises(InputError, match="one of each"):
        paired_change([1, 2], [1])
    with pytest.raises(InputError, match="direction"):
        paired_change([1], [2], direction="up")
    with pytest.raises(InputError):
        paired_change(["1"], [2])
    with pytest.raises(InputError, match="finite"):
        paired_change([math.inf], [2])


# --- MID responders -----------------------------------------------------------------------------


def test_mid_responders_counts_the_direction_of_benefit_and_completeness():
    before = [10, 10, 10, 10, None]
    after = [13, 12, 10, 7, 15]
    r = mid_responders(before, after, mid=3, direction="higher_better")
    # changes 3 2 0 -3 (the fifth patient lacks a baseline): one reaches +3
    assert (r.responders, r.available, r.expected) == (1, 4, 5)
    assert (r.completeness, r.complete, r.share) == (0.8, False, 0.25)
    # Clopper-Pearson for 1/4: lower by hand 1 - 0.975^(1/4) = 0.0063095 (R: 0.006309463 0.805879550)
    assert r.low == pytest.approx(1 - 0.975**0.25, rel=1e-10)
    assert r.high == pytest.approx(0.805880, abs=5e-6)
    assert (r.share_if_missing_failed, r.share_if_missing_responded) == (0.2, 0.4)
    down = mid_responders(before, after, mid=3, direction="lower_better")
    assert (down.responders, down.share) == (1, 0.25)  # the fall of 3


def test_mid_responders_expected_patients_and_rounding():
    # 12.3 - 10.0 = 2.3000000000000007 and 0.3 - 0.1 = 0.19999999999999998 both reach their MID
    assert mid_responders([10.0], [12.3], mid=2.3, direction="higher_better").responders == 1
    assert mid_responders([0.1], [0.3], mid=0.2, direction="higher_better").responders == 1
    assert mid_responders([0.1], [0.29], mid=0.2, direction="higher_better").responders == 0
    r = mid_responders([1, 1], [5, 1], mid=2, direction="higher_better", expected=8)
    assert (r.available, r.expected, r.completeness, r.complete) == (2, 8, 0.25, False)
    assert (r.share_if_missing_failed, r.share_if_missing_responded) == (1 / 8, 7 / 8)
    full = mid_responders([1, 1], [5, 1], mid=2, direction="higher_better")
    assert full.complete and full.completeness == 1
    empty = mid_responders([None], [None], mid=2, direction="higher_better", expected=3)
    assert (empty.share, empty.low, empty.completeness, empty.complete) == (None, None, 0, False)
    with pytest.raises(InputError, match="expected"):
        mid_responders([1, 1], [5, 1], mid=2, direction="higher_better", expected=1)
    for mid in (0, -1, None):
        with pytest.raises(InputError, match="mid"):
            mid_responders([1], [5], mid=mid, direction="higher_better")


# --- lot signal ---------------------------------------------------------------------------------


def test_lot_signal_by_hand():
    # Lot A: 6 events in 20 administrations; the rest (B and C): 2 in 80. Given 8 events in all,
    # A's count is Binomial(8, 20/100 = 0.2) if the rates are equal, so the one-sided p is
    # P(X >= 6) = 28 * 0.2^6 * 0.8^2 + 8 * 0.2^7 * 0.8 + 0.2^8
    #           = 0.00114688 + 0.00008192 + 0.00000256 = 0.00123136.
    # B (1 in 40) against 7 in 60: P(X >= 1), X ~ Binomial(8, 0.4) = 1 - 0.6^8 = 0.98320384; C alike.
    # Holm over 3 lots: A 3 * 0.00123136 = 0.00369408; B and C 2 * 0.983..., capped at 1.
    out = {s.lot: s for s in lot_signal({"A": (6, 20), "B": (1, 40), "C": (1, 40)})}
    a, b = out["A"], out["B"]
    assert (a.rest_events, a.rest_exposures, a.rate, a.rest_rate) == (2, 80, 0.3, 0.025)
    assert a.p_value == pytest.approx(0.00123136, rel=1e-9)
    assert a.p_adjusted == pytest.approx(0.00369408, rel=1e-9)
    assert b.p_value == pytest.approx(0.98320384, rel=1e-9)
    assert (b.p_adjusted, out["C"].p_adjusted) == (1.0, 1.0)
    assert [s.flagged for s in out.values()] == [True, False, False]
    assert a.lots_tested == 3 and a.method == "conditional_binomial" and a.adjustment == "holm"
    json.dumps([s.to_dict() for s in out.values()])


def test_lot_signal_alpha_and_untestable_lots():
    # by hand: A (6 in 20) against B (2 in 80), the p of the example above; Holm over 2 lots
    # (the lot without administrations is not tested): A 2 * 0.00123136 = 0.00246272
    out = {s.lot: s for s in lot_signal({"A": (6, 20), "B": (2, 80), "new": (0, 0)}, alpha=0.001)}
    assert out["A"].p_adjusted == pytest.approx(2 * 0.00123136, rel=1e-9)
    assert not out["A"].flagged  # 0.0025 is not below alpha 0.001
    assert not out["new"].tested and out["new"].p_value is None and not out["new"].flagged
    assert out["A"].lots_tested == 2
    # B, 2 in 80 against 6 in 20: X ~ Binomial(8, 0.8), P(X >= 2) = 1 - 0.2^8 - 8 * 0.8 * 0.2^7
    # = 1 - 0.00000256 - 0.00008192 = 0.99991552
    assert out["B"].p_value == pytest.approx(0.99991552, rel=1e-9)
    only = lot_signal({"A": (3, 10)})
    assert not only[0].tested and only[0].lots_tested == 0
    none = lot_signal({"A": (0, 10), "B": (0, 10)})
    assert [s.p_value for s in none] == [1.0, 1.0] and not any(s.flagged for s in none)


def test_lot_signal_refuses_bad_input():
    with pytest.raises(InputError, match="alpha"):
        lot_signal({"A": (1, 10)}, alpha=0)
    with pytest.raises(InputError, match="events, exposures"):
        lot_signal({"A": 3})
    with pytest.raises(InputError, match="lot A: events cannot be negative"):
        lot_signal({"A": (-1, 10)})
    with pytest.raises(InputError, match="lot B: exposures must be a positive number"):
        lot_signal({"A": (1, 10), "B": (1, -10)})


def test_holm_by_hand():
    # Holm (1979): sorted 0.01 0.02 0.04 0.5 times 4 3 2 1 = 0.04 0.06 0.08 0.5, non-decreasing
    assert holm([0.5, 0.01, 0.04, 0.02]) == pytest.approx([0.5, 0.04, 0.08, 0.06])
    # a later product smaller than an earlier one takes the earlier (monotone step-down)
    assert holm([0.01, 0.011]) == pytest.approx([0.02, 0.02])
    assert holm([]) == []


# --- results and languages ----------------------------------------------------------------------


def test_results_carry_method_labels():
    d = rate_per(2, 10, model="binomial").to_dict()
    assert d["method"] == "clopper_pearson" and d["method_label"] == "Clopper-Pearson exact interval"
    d = paired_change(SLEEP_DRUG1, SLEEP_DRUG2).to_dict()
    assert d["t_method_label"] == "paired t-test"
    assert d["wilcoxon_method_label"].startswith("Wilcoxon signed-rank test (normal")
    assert set(method_labels()) >= {"garwood", "wilcoxon_exact", "holm", "conditional_binomial"}


def _msgids() -> set[str]:
    tree = ast.parse((SRC / "analytics" / "evidence.py").read_text(encoding="utf-8"))
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_":
            assert node.args and isinstance(node.args[0], ast.Constant), "_() of a non-literal"
            ids.add(node.args[0].value)
    return ids


def test_every_message_is_translated_and_agrees_with_the_other_catalogues():
    ours = {e.msgid: e.msgstr for e in polib.pofile(str(SRC / "locale" / "ja" / "analytics_evidence.po"))}
    ids = _msgids()
    assert len(ids) > 15
    assert sorted(m for m in ids if not ours.get(m)) == []
    for msgid in ids:
        for part in msgid.split("{")[1:]:
            assert "{" + part.split("}")[0] + "}" in ours[msgid], msgid
    # the catalogues are merged into one: a msgid translated elsewhere must read the same
    for po in (SRC / "locale" / "ja").glob("*.po"):
        for e in polib.pofile(str(po)):
            if e.msgid in ours and e.msgstr:
                assert e.msgstr == ours[e.msgid], (po.name, e.msgid)


# --- ratings of change without a baseline (PGIC) ------------------------------------------------


def test_rating_responders_count_the_ratings_and_the_share_at_the_threshold():
    # PGIC 1-7, lower is better, responder at 2 ("much improved") or better: ratings 1, 2, 2, 3, 4
    # and one missing, 7 expected. 3 responders of 5 rated; binom.test(3, 5) in R gives the
    # Clopper-Pearson interval 0.1466328 - 0.9472550; over all 7 expected 3/7 to 5/7.
    r = rating_responders([1, 2, 2, 3, 4, None], 2, "lower_better", expected=7)
    assert r.distribution == [[1.0, 1], [2.0, 2], [3.0, 1], [4.0, 1]]
    assert (r.responders, r.available, r.expected, r.complete) == (3, 5, 7, False)
    assert r.share == pytest.approx(0.6) and r.completeness == pytest.approx(5 / 7)
    assert r.low == pytest.approx(0.1466328, abs=1e-6) and r.high == pytest.approx(0.9472550, abs=1e-6)
    assert r.share_if_missing_failed == pytest.approx(3 / 7)
    assert r.share_if_missing_responded == pytest.approx(5 / 7)
    # higher is better: 6 and 7 reach 6; binom.test(2, 3): 0.09429932 - 0.99159624
    r = rating_responders([5, 6, 7], 6, "higher_better")
    assert (r.responders, r.available, r.expected) == (2, 3, 3) and r.complete
    assert r.low == pytest.approx(0.09429932, abs=1e-7) and r.high == pytest.approx(0.99159624, abs=1e-7)


def test_rating_responders_refuse_what_cannot_be_counted():
    with pytest.raises(InputError, match="threshold"):
        rating_responders([1, 2], None, "lower_better")
    with pytest.raises(InputError, match="only 1 were expected"):
        rating_responders([1, 2], 2, "lower_better", expected=1)
    nobody = rating_responders([None, None], 2, "lower_better")
    assert (nobody.available, nobody.share, nobody.low, nobody.distribution) == (0, None, None, [])
