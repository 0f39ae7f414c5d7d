"""Evaluation of results against frozen limits: every operator, alert limits, half-up rounding
before comparison, unit conversion, qualitative results, physical plausibility."""

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evqms.errors import InputError
from evqms.lots.evaluation import (
    ALERT,
    FAIL,
    PASS,
    check_physical,
    convert,
    evaluate_qualitative,
    evaluate_quantitative,
    freeze_limits,
    parameter_in_range,
    round_half_up,
)


def limits(**kw):
    return freeze_limits(kind="quantitative", **kw)


@pytest.mark.parametrize(
    ("value", "verdict"),
    [("49.99", FAIL), ("50", PASS), ("50.00", PASS), ("200", PASS), ("200.0001", FAIL)],
)
def test_inclusive_bounds(value, verdict):
    lim = limits(unit="nm", lower=D("50"), upper=D("200"))
    assert evaluate_quantitative(D(value), lim).verdict == verdict


@pytest.mark.parametrize(
    ("value", "verdict"), [("50", FAIL), ("50.0001", PASS), ("199.999", PASS), ("200", FAIL)]
)
def test_exclusive_bounds(value, verdict):
    lim = limits(unit="nm", lower=D("50"), lower_inclusive=False, upper=D("200"), upper_inclusive=False)
    assert evaluate_quantitative(D(value), lim).verdict == verdict


@pytest.mark.parametrize(
    ("value", "verdict"),
    [("0.494", PASS), ("0.495", FAIL), ("0.4949", PASS), ("0.50", FAIL), ("0.49", PASS)],
)
def test_rounding_half_up_happens_before_the_comparison(value, verdict):
    # Endotoxin < 0.5 EU/mL reported to 2 places: 0.495 rounds to 0.50, which is not < 0.50.
    lim = limits(unit="EU/mL", upper=D("0.5"), upper_inclusive=False, decimal_places=2)
    result = evaluate_quantitative(D(value), lim)
    assert result.verdict == verdict
    assert result.reported == round_half_up(D(value), 2)


def test_half_up_not_bankers_rounding():
    assert round_half_up(D("0.125"), 2) == D("0.13")  # banker's rounding would give 0.12
    assert round_half_up(D("2.5"), 0) == D("3")
    assert round_half_up(D("-2.5"), 0) == D("-3")
    assert round_half_up(D("1.2345"), None) == D("1.2345")


def test_rounding_lifts_a_value_onto_an_inclusive_bound():
    lim = limits(unit="nm", lower=D("50"), decimal_places=0)
    assert evaluate_quantitative(D("49.5"), lim).verdict == PASS  # reported 50, >= 50
    assert evaluate_quantitative(D("49.4"), lim).verdict == FAIL


@pytest.mark.parametrize(
    ("value", "verdict"),
    [("60", PASS), ("180", PASS), ("181", ALERT), ("200", ALERT), ("201", FAIL), ("55", ALERT), ("49", FAIL)],
)
def test_alert_limits_pass_but_flag(value, verdict):
    lim = limits(unit="nm", lower=D("50"), upper=D("200"), alert_lower=D("60"), alert_upper=D("180"))
    assert evaluate_quantitative(D(value), lim).verdict == verdict


def test_alert_compares_the_rounded_value():
    lim = limits(unit="nm", upper=D("200"), alert_upper=D("180"), decimal_places=0)
    assert evaluate_quantitative(D("180.4"), lim).verdict == PASS  # reported 180
    assert evaluate_quantitative(D("180.5"), lim).verdict == ALERT  # reported 181


def test_one_sided_limits():
    assert evaluate_quantitative(D("1e15"), limits(lower=D("1e9"))).verdict == PASS
    assert evaluate_quantitative(D("0"), limits(upper=D("0.5"))).verdict == PASS


def test_frozen_limits_are_plain_json():
    lim = limits(unit="particles/mL", lower=D("1E+9"), upper=D("1000000000000.0000000000"), spec_version=2)
    assert lim["lower"] == "1000000000" and lim["upper"] == "1000000000000"
    assert lim["spec_version"] == 2 and lim["lower_inclusive"] is True


def test_qualitative():
    lim = freeze_limits(kind="qualitative", choices=["positive", "negative"], acceptable=["positive"])
    assert evaluate_qualitative("Positive ", lim).verdict == PASS
    assert evaluate_qualitative("negative", lim).verdict == FAIL
    with pytest.raises(InputError) as exc:
        evaluate_qualitative("maybe", lim)
    assert exc.value.where == "text_value"
    with pytest.raises(InputError):
        evaluate_qualitative("", lim)


def test_units_are_converted():
    assert convert(D("2e9"), "particles/uL", "particles/mL") == D("2e12")
    assert convert(D("0.15"), "um", "nm") == D("150")
    assert convert(D("90"), "min", "h") == D("1.5")
    assert convert(D("3"), "EU/mL", "EU/mL") == D("3")


def test_incompatible_unit_names_the_field():
    with pytest.raises(InputError) as exc:
        convert(D("1"), "EU/mL", "nm", field="unit")
    assert exc.value.where == "unit" and "EU/mL" in exc.value.message
    with pytest.raises(InputError):
        convert(D("1"), "furlongs-per-fortnight", "nm")


def test_negative_values_are_not_physical_except_signed_units():
    with pytest.raises(InputError) as exc:
        check_physical(D("-1e9"), limits(unit="particles/mL", lower=D("1e9")))
    assert exc.value.where == "value"
    check_physical(D("-25"), limits(unit="mV", lower=D("-40"), upper=D("-5")))  # zeta potential
    check_physical(D("0"), limits(unit="EU/mL"))


def test_parameter_ranges_are_inclusive():
    assert parameter_in_range(D("48"), D("48"), D("72"))
    assert parameter_in_range(D("72"), D("48"), D("72"))
    assert not parameter_in_range(D("72.1"), D("48"), D("72"))
    assert not parameter_in_range(D("47.9"), D("48"), None)


# --- properties -----------------------------------------------------------------------------

decimals = st.decimals(min_value=D("0"), max_value=D("1000"), places=3, allow_nan=False, allow_infinity=False)


@given(value=decimals, lo=decimals, hi=decimals, lo_inc=st.booleans(), hi_inc=st.booleans())
def test_verdict_matches_the_interval_definition(value, lo, hi, lo_inc, hi_inc):
    lo, hi = min(lo, hi), max(lo, hi)
    lim = limits(lower=lo, upper=hi, lower_inclusive=lo_inc, upper_inclusive=hi_inc)
    inside = (value >= lo if lo_inc else value > lo) and (value <= hi if hi_inc else value < hi)
    assert (evaluate_quantitative(value, lim).verdict == PASS) == inside


@given(value=decimals, bound=decimals, places=st.integers(min_value=0, max_value=3))
def test_verdict_depends_only_on_the_rounded_value(value, bound, places):
    lim = limits(upper=bound, upper_inclusive=False, decimal_places=places)
    rounded = round_half_up(value, places)
    assert evaluate_quantitative(value, lim).verdict == evaluate_quantitative(rounded, lim).verdict
    assert (evaluate_quantitative(value, lim).verdict == FAIL) == (rounded >= bound)


@given(value=decimals, lo=decimals, hi=decimals, a_lo=decimals, a_hi=decimals)
def test_alert_never_turns_a_failure_into_a_pass(value, lo, hi, a_lo, a_hi):
    lo, hi = min(lo, hi), max(lo, hi)
    plain = evaluate_quantitative(value, limits(lower=lo, upper=hi)).verdict
    alerted = evaluate_quantitative(
        value, limits(lower=lo, upper=hi, alert_lower=a_lo, alert_upper=a_hi)
    ).verdict
    assert (plain == FAIL) == (alerted == FAIL)
    if alerted == ALERT:
        assert value < a_lo or value > a_hi


@settings(deadline=None)  # the first example loads pint's registry (about 0.4 s)
@given(st.decimals(min_value=D("0"), max_value=D("1e6"), places=4, allow_nan=False, allow_infinity=False))
def test_conversion_round_trip(value):
    there = convert(value, "nm", "um")
    assert abs(convert(there, "um", "nm") - value) < D("1e-12")


def test_evaluation_is_pure():
    import subprocess
    import sys

    code = (
        "import sys, evqms.lots.evaluation as e; from decimal import Decimal as D; "
        "e.convert(D('1'), 'um', 'nm'); print(any(m.split('.')[0] == 'django' for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"
