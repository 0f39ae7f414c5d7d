"""guidance.evidence judges a censored result by the rule the lot's QC rules use (hand-worked: "< L"
allows 0 <= x < L, "> G" allows x > G; a result meets a limit only when all of them do), and the
checks that need a number take a bound only where it is safe."""

from decimal import Decimal as D

import pytest

from evqms.guidance import evidence as ev
from evqms.guidance import quantities


def attribute(**kw):
    return ev.SpecAttribute(id="a1", name="Endotoxin", category="endotoxin", unit="EU/mL", **kw)


@pytest.mark.parametrize(
    ("censor", "value", "kw", "expected"),
    [
        ("<", "0.05", {"max": D("0.1")}, True),
        ("<", "0.5", {"max": D("0.1")}, False),  # x may be 0.3
        ("<", "0.05", {"min": D("0.05")}, False),  # every x is below 0.05
        (">", "1000", {"min": D("50")}, True),
        (">", "1000", {"max": D("200")}, False),
        (">", "1000", {"max": D("2000")}, False),  # x may be 5000
        ("", "0.05", {"max": D("0.1")}, True),
    ],
)
def test_result_in_spec(censor, value, kw, expected):
    result = ev.QCResult(attribute="a1", value=D(value), unit="EU/mL", censor=censor)
    assert ev.result_in_spec(attribute(**kw), result) is expected


def test_a_censored_bound_converts_before_it_is_judged():
    # "< 50 EU/L" is "< 0.05 EU/mL": meets "<= 0.1 EU/mL"; "< 500 EU/L" (0.5 EU/mL) does not.
    assert ev.result_in_spec(
        attribute(max=D("0.1")), ev.QCResult(attribute="a1", value=D("50"), unit="EU/L", censor="<")
    )
    assert not ev.result_in_spec(
        attribute(max=D("0.1")), ev.QCResult(attribute="a1", value=D("500"), unit="EU/L", censor="<")
    )


def test_a_number_is_taken_from_a_censored_result_only_as_the_bound_a_check_allows():
    below = ev.QCResult(attribute="a1", value=D("50"), unit="EU/L", censor="<")
    assert quantities.result_value(below, attribute(), "EU/mL") is None
    assert quantities.result_value(below, attribute(), "EU/mL", bound_ok="<") == D("0.05")
    above = ev.QCResult(attribute="a1", value=D("5"), unit="EU/mL", censor=">")
    assert quantities.result_value(above, attribute(), "EU/mL", bound_ok="<") is None
