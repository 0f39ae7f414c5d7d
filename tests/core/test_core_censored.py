"""evqms.core.censored: reading "<0.05"/">1000" as people and instruments write them, and which of
the values a censored result allows meet a bound (worked out by hand for each case below)."""

from decimal import Decimal as D

import pytest

from evqms.core import censored
from evqms.core.censored import ALL, NONE, SOME, meets_lower, meets_upper, possible, split
from evqms.errors import InputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<0.05", ("<", "0.05")),
        ("< 0.05", ("<", "0.05")),
        ("  <0.05 ", ("<", "0.05")),
        ("＜0.05", ("<", "0.05")),  # full-width less-than, as a Japanese IME types it
        ("＜０．０５", ("<", "0.05")),  # full-width digits and point too
        (">1000", (">", "1000")),
        ("> 1000", (">", "1000")),
        ("＞1000", (">", "1000")),
        ("0.5", ("", "0.5")),
        ("1.5E+3", ("", "1.5E+3")),
    ],
)
def test_split_reads_the_sign_and_the_bound(text, expected):
    assert split(text) == expected


def test_split_leaves_numbers_alone():
    assert split(D("0.5")) == ("", D("0.5"))
    assert split(7) == ("", 7)
    assert split(None) == ("", None)


@pytest.mark.parametrize(
    "text", ["<", "< ", ">ULOQ", "<LOQ", "<=0.05", "≤0.05", ">=5", "≥ 5", "<<0.05", "<>1", "< =0.05"]
)
def test_split_refuses_nonsense_naming_the_field(text):
    with pytest.raises(InputError) as e:
        split(text, field='results.csv, line 3, column "value"')
    assert e.value.where == 'results.csv, line 3, column "value"'
    assert text.strip() in e.value.message


# The values each result allows, and the bound checked; ALL/NONE/SOME by hand:
#  "<0.05" is [0, 0.05): all are <= 0.1; all are < 0.05; some are >= 0.01; none are >= 0.05.
#  ">1000" is (1000, inf): all are >= 50 and >= 1000 and > 1000; none are <= 1000; some are <= 2000.
@pytest.mark.parametrize(
    ("censor", "value", "side", "limit", "inclusive", "expected"),
    [
        ("<", "0.05", "upper", "0.1", True, ALL),
        ("<", "0.05", "upper", "0.05", True, ALL),
        ("<", "0.05", "upper", "0.05", False, ALL),
        ("<", "0.5", "upper", "0.1", True, SOME),
        ("<", "0.05", "lower", "0.01", True, SOME),
        ("<", "0.05", "lower", "0.05", True, NONE),
        ("<", "0.05", "lower", "0.05", False, NONE),
        ("<", "0.05", "lower", "0", True, ALL),  # a concentration is never negative
        ("<", "0.05", "lower", "0", False, SOME),  # 0 itself is possible and is not > 0
        (">", "1000", "lower", "50", True, ALL),
        (">", "1000", "lower", "1000", True, ALL),
        (">", "1000", "lower", "1000", False, ALL),
        (">", "1000", "lower", "2000", True, SOME),
        (">", "1000", "upper", "200", True, NONE),
        (">", "1000", "upper", "1000", True, NONE),
        (">", "1000", "upper", "2000", True, SOME),
        ("", "0.05", "upper", "0.05", True, ALL),
        ("", "0.05", "upper", "0.05", False, NONE),
        ("", "0.05", "lower", "0.05", True, ALL),
        ("", "0.05", "lower", "0.05", False, NONE),
    ],
)
def test_which_values_meet_a_bound(censor, value, side, limit, inclusive, expected):
    allowed = possible(censor, D(value))
    meets = meets_lower if side == "lower" else meets_upper
    assert meets(allowed, D(limit), inclusive) == expected


def test_a_signed_quantity_below_a_bound_may_be_anything_below_it():
    # "< 5 mV" of a zeta potential may be -30 mV: it cannot be shown to meet ">= -40 mV".
    assert meets_lower(possible(censored.LESS, D("5"), signed=True), D("-40")) == SOME
    assert meets_lower(possible(censored.LESS, D("5")), D("-40")) == ALL
