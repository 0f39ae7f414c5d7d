"""Censored results ("< 0.05", "> 1000") judged against frozen limits. Every expected verdict is
worked out by hand from the values the result allows ("< L" is 0 <= x < L, "> G" is x > G): a pass
when all of them meet the limits, a failure when none does or when some might not."""

from decimal import Decimal as D

import pytest

from evqms.errors import InputError
from evqms.lots.evaluation import (
    ALERT,
    FAIL,
    PASS,
    convert,
    evaluate_censored,
    freeze_limits,
    parse_value,
)


def limits(**kw):
    return freeze_limits(kind="quantitative", **kw)


@pytest.mark.parametrize(
    ("censor", "bound", "kw", "verdict", "why"),
    [
        # below the LOQ against an upper limit
        ("<", "0.05", {"upper": "0.1"}, PASS, ""),  # every x < 0.05 is <= 0.1
        ("<", "0.1", {"upper": "0.1"}, PASS, ""),  # every x < 0.1 is <= 0.1
        ("<", "0.1", {"upper": "0.1", "upper_inclusive": False}, PASS, ""),  # and < 0.1
        ("<", "0.5", {"upper": "0.1"}, FAIL, "cannot be shown"),  # x may be 0.3
        # below the LOQ against a lower limit: LOQ <= limit means every x is below it
        ("<", "0.05", {"lower": "0.05"}, FAIL, "below the lower limit"),
        ("<", "0.05", {"lower": "0.1"}, FAIL, "below the lower limit"),
        ("<", "0.2", {"lower": "0.1"}, FAIL, "cannot be shown"),  # x may be 0.05 or 0.15
        ("<", "0.05", {"lower": "0"}, PASS, ""),  # a concentration is never negative
        # above the ULOQ
        (">", "1000", {"lower": "50"}, PASS, ""),
        (">", "1000", {"lower": "1000", "lower_inclusive": False}, PASS, ""),  # every x > 1000
        (">", "1000", {"upper": "200"}, FAIL, "above the upper limit"),
        (">", "1000", {"upper": "1000"}, FAIL, "above the upper limit"),
        (">", "1000", {"upper": "2000"}, FAIL, "cannot be shown"),  # x may be 5000
        (">", "1000", {"lower": "50", "upper": "2000"}, FAIL, "cannot be shown"),
        (">", "10", {"lower": "50"}, FAIL, "cannot be shown"),  # x may be 20 or 60
    ],
)
def test_censored_verdicts(censor, bound, kw, verdict, why):
    judged = evaluate_censored(censor, D(bound), limits(unit="EU/mL", **kw))
    assert judged.verdict == verdict
    assert why in judged.reason
    assert judged.reported == D(bound)  # the bound as stated: the reported value


def test_a_result_that_cannot_be_shown_to_pass_names_itself_and_the_criterion():
    judged = evaluate_censored("<", D("0.5"), limits(unit="EU/mL", upper="0.1"))
    assert "< 0.5" in judged.reason
    assert "≤ 0.1 EU/mL" in judged.reason


def test_the_bound_is_not_rounded_to_the_reporting_places():
    # Rounded to 1 place "< 0.14" would read "< 0.1" and pass "<= 0.1"; 0.13 is possible and is
    # above 0.1 before rounding, so the result is not shown to pass.
    judged = evaluate_censored("<", D("0.14"), limits(unit="EU/mL", upper="0.1", decimal_places=1))
    assert judged.verdict == FAIL
    assert judged.reported == D("0.14")


@pytest.mark.parametrize(
    ("censor", "bound", "kw", "verdict"),
    [
        ("<", "0.05", {"upper": "0.1", "alert_upper": "0.08"}, PASS),  # every x < 0.05 <= 0.08
        ("<", "0.09", {"upper": "0.1", "alert_upper": "0.08"}, ALERT),  # x may be 0.085
        (">", "100", {"lower": "50", "alert_lower": "60"}, PASS),
        (">", "55", {"lower": "50", "alert_lower": "60"}, ALERT),  # x may be 58
        (">", "100", {"lower": "50", "alert_upper": "500"}, ALERT),  # no upper limit, x may be 900
    ],
)
def test_censored_alerts(censor, bound, kw, verdict):
    assert evaluate_censored(censor, D(bound), limits(unit="ng/mL", **kw)).verdict == verdict


def test_the_bound_converts_with_the_unit_then_is_judged():
    # "< 50 pg/dose" is "< 0.05 ng/dose" (1 ng = 1000 pg): it passes "<= 0.1 ng/dose" ...
    bound = convert(D("50"), "pg/dose", "ng/dose")
    assert bound == D("0.05")
    assert evaluate_censored("<", bound, limits(unit="ng/dose", upper="0.1")).verdict == PASS
    # ... and "< 500 pg/dose" (0.5 ng/dose) cannot be shown to.
    bound = convert(D("500"), "pg/dose", "ng/dose")
    assert evaluate_censored("<", bound, limits(unit="ng/dose", upper="0.1")).verdict == FAIL
    # "> 2 ug/mL" is "> 2000 ng/mL": above "<= 1000 ng/mL" whatever it is.
    bound = convert(D("2"), "ug/mL", "ng/mL")
    judged = evaluate_censored(">", bound, limits(unit="ng/mL", upper="1000"))
    assert (judged.verdict, "above the upper limit" in judged.reason) == (FAIL, True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<0.05", ("<", D("0.05"))),
        ("＜ 0.05", ("<", D("0.05"))),
        (">1,000", (">", D("1000"))),
        ("7", ("", D(7))),
    ],
)
def test_parse_value(text, expected):
    assert parse_value(text) == expected


@pytest.mark.parametrize("text", ["<abc", "> 1 000", "<0.05 ng", "<", "≤0.05"])
def test_parse_value_refuses_naming_the_field(text):
    with pytest.raises(InputError) as e:
        parse_value(text, field="value")
    assert e.value.where == "value"
