"""One rendering of QC numbers, criteria and results for the lot page, the CLI, the API, the
verdict's reason and the certificate of analysis."""

from decimal import Decimal as D

from evqms.lots.display import alert_text, criterion_text, entered_text, format_number, result_text
from evqms.lots.evaluation import evaluate_quantitative, freeze_limits


def limits(**kw):
    return freeze_limits(kind="quantitative", **kw)


def test_criterion_text():
    assert criterion_text(limits(unit="EU/mL", upper=D("0.5"), upper_inclusive=False)) == "< 0.5 EU/mL"
    assert criterion_text(limits(unit="nm", lower=D("50"), upper=D("200"))) == "≥ 50 – ≤ 200 nm"
    assert criterion_text(freeze_limits(kind="qualitative", acceptable=["positive"])) == "positive"
    assert criterion_text(limits(unit="nm", lower=D("50"), lower_inclusive=False)) == "> 50 nm"
    assert criterion_text(limits(unit="%")) == "report %"
    assert criterion_text(None) == ""


def test_large_bounds_are_written_as_powers_of_ten():
    # 1E+9 and 1E+12 written by hand as 1 × 10⁹ and 1 × 10¹²
    wide = limits(unit="particles/mL", lower=D("1e9"), upper=D("1e12"))
    assert criterion_text(wide) == "≥ 1 × 10⁹ – ≤ 1 × 10¹² particles/mL"


def test_the_verdict_reason_quotes_the_same_criterion():
    wide = limits(unit="particles/mL", lower=D("1e9"), upper=D("1e12"))
    reason = evaluate_quantitative(D("5e8"), wide).reason
    assert criterion_text(wide) in reason


def test_format_number():
    assert format_number(D("3.25E+11")) == "3.25 × 10¹¹"
    assert format_number(D("0.5"), 2) == "0.50"
    assert format_number(D("112.000")) == "112"
    assert format_number(D("0")) == "0"
    assert format_number(None) == ""
    assert format_number("n/a") == "n/a"


def test_alert_result_and_entered():
    lim = limits(
        unit="nm", lower=D("50"), upper=D("200"), alert_lower=D("60"), alert_upper=D("180"), decimal_places=0
    )
    assert alert_text(lim) == "≥ 60, ≤ 180"
    entry = {"limits": lim, "reported_value": D("120"), "value": D("0.12"), "unit": "um", "text_value": ""}
    assert result_text(entry) == "120 nm"
    assert entered_text(entry) == "0.12 µm"  # units as printed, whatever was typed
    assert entered_text({**entry, "unit": "nm"}) == ""
    assert result_text({"limits": lim, "text_value": "no growth"}) == "no growth"
