"""Judging a QC result against frozen limits, and a process parameter against its range (pure: no Django).

The limits a result is judged against are copied onto the result (`freeze_limits`), so a later
specification version never changes an old verdict. A quantitative value is first converted to
the attribute's unit, then rounded half-up to the attribute's decimal places, and only then
compared with the bounds: "0.495 EU/mL" reported to 2 places is 0.50, which fails "< 0.50".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from evqms.core import censored, units
from evqms.errors import InputError
from evqms.i18n import _
from evqms.lots.display import criterion_text, format_number

PASS, ALERT, FAIL = "pass", "alert", "fail"


def parse_value(value, *, field: str = "value") -> tuple[str, Decimal]:
    """The one reading of a QC value as entered (the entry form, the grid, the CSV/Excel import,
    the API, the command line): (censor, number). "<0.05", "< 0.05", "＜0.05" give ("<", 0.05),
    ">1000" gives (">", 1000), "0.5" or Decimal("0.5") give ("", 0.5); nonsense raises an
    InputError naming `field` (see `core.censored.split` for what is refused and why)."""
    censor, rest = censored.split(value, field=field)
    return censor, to_decimal(rest, field=field)


def to_decimal(value, *, field: str = "value") -> Decimal:
    """A finite Decimal from a Decimal, int or text; floats are refused (they carry binary noise)."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool) or isinstance(value, float):
        raise InputError(_("give the value as text or Decimal, not a binary float"), where=field)
    else:
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            raise InputError(_("not a number: {value}").format(value=value), where=field) from None
    if not number.is_finite():
        raise InputError(_("not a finite number: {value}").format(value=value), where=field)
    return number


def _dec(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    # Normalised text keeps frozen limits readable (1E+9 not 1000000000.0000000000).
    normal = value.normalize()
    if normal == normal.to_integral() and abs(normal) < Decimal("1e15"):
        return str(normal.quantize(Decimal(1)))
    return str(normal)


def freeze_limits(
    *,
    kind: str,
    unit: str = "",
    lower=None,
    lower_inclusive: bool = True,
    upper=None,
    upper_inclusive: bool = True,
    alert_lower=None,
    alert_upper=None,
    decimal_places: int | None = None,
    acceptable: list | None = None,
    choices: list | None = None,
    spec_version: int | None = None,
    attribute_code: str = "",
) -> dict:
    """The plain dict of limits stored on a result (JSON-safe: numbers as text)."""
    return {
        "kind": kind,
        "attribute": attribute_code,
        "unit": unit or "",
        "lower": _text(_dec(lower)),
        "lower_inclusive": bool(lower_inclusive),
        "upper": _text(_dec(upper)),
        "upper_inclusive": bool(upper_inclusive),
        "alert_lower": _text(_dec(alert_lower)),
        "alert_upper": _text(_dec(alert_upper)),
        "decimal_places": decimal_places,
        "acceptable": list(acceptable or []),
        "choices": list(choices or []),
        "spec_version": spec_version,
    }


def attribute_limits(attribute) -> dict:
    """The limits of a specification attribute as a result freezes them (and as a page shows them
    before any result exists): the one place they are read from the specification."""
    return freeze_limits(
        kind=attribute.kind,
        unit=attribute.unit,
        lower=attribute.lower,
        lower_inclusive=attribute.lower_inclusive,
        upper=attribute.upper,
        upper_inclusive=attribute.upper_inclusive,
        alert_lower=attribute.alert_lower,
        alert_upper=attribute.alert_upper,
        decimal_places=attribute.decimal_places,
        acceptable=attribute.acceptable,
        choices=attribute.choices,
        spec_version=attribute.specification.version,
        attribute_code=attribute.code,
    )


def round_half_up(value: Decimal, places: int | None) -> Decimal:
    """Round to `places` decimals, halves away from zero (as a laboratory reports); None = as measured."""
    if places is None:
        return value
    return value.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Evaluation:
    verdict: str  # pass, alert, fail
    reported: Decimal | None  # the rounded value compared with the limits (quantitative)
    reason: str  # why (empty for a plain pass)


def may_be_negative(limits: dict) -> bool:
    return censored.signed(
        limits.get("unit") or "", [limits.get(k) for k in ("lower", "upper", "alert_lower", "alert_upper")]
    )


def check_physical(value: Decimal, limits: dict, *, field: str = "value") -> None:
    """Refuse a value that cannot be measured: negative concentrations, sizes, endotoxin ..."""
    if value < 0 and not may_be_negative(limits):
        raise InputError(
            _("a negative value ({value}) is not physical for {unit}").format(
                value=value, unit=limits.get("unit") or _("this attribute")
            ),
            where=field,
        )


def _below_lower(value: Decimal, bound: Decimal, inclusive: bool) -> bool:
    return value < bound if inclusive else value <= bound


def _above_upper(value: Decimal, bound: Decimal, inclusive: bool) -> bool:
    return value > bound if inclusive else value >= bound


def evaluate_quantitative(value: Decimal, limits: dict) -> Evaluation:
    """`value` is already in the limits' unit. Round half-up first, then compare."""
    reported = round_half_up(value, limits.get("decimal_places"))
    lower, upper = _dec(limits.get("lower")), _dec(limits.get("upper"))
    if lower is not None and _below_lower(reported, lower, limits.get("lower_inclusive", True)):
        return Evaluation(
            FAIL, reported, _("below the lower limit ({criterion})").format(criterion=criterion_text(limits))
        )
    if upper is not None and _above_upper(reported, upper, limits.get("upper_inclusive", True)):
        return Evaluation(
            FAIL, reported, _("above the upper limit ({criterion})").format(criterion=criterion_text(limits))
        )
    alert_lower, alert_upper = _dec(limits.get("alert_lower")), _dec(limits.get("alert_upper"))
    if alert_lower is not None and reported < alert_lower:
        return Evaluation(
            ALERT, reported, _("below the alert limit {limit}").format(limit=limits["alert_lower"])
        )
    if alert_upper is not None and reported > alert_upper:
        return Evaluation(
            ALERT, reported, _("above the alert limit {limit}").format(limit=limits["alert_upper"])
        )
    return Evaluation(PASS, reported, "")


def evaluate_censored(censor: str, bound: Decimal, limits: dict) -> Evaluation:
    """A censored result ("< 0.05", "> 1000"; `bound` already in the limits' unit) judged by
    `core.censored`'s rule: a pass only when every value it allows passes; a failure (OOS) when
    none does or when it cannot be told (the true value may be outside the limits). The bound is
    not rounded (see `core.censored`); it is the reported value."""
    possible = censored.possible(censor, bound, signed=may_be_negative(limits))
    criterion = criterion_text(limits)
    shown = f"{censor} {format_number(bound)}"
    lower, upper = _dec(limits.get("lower")), _dec(limits.get("upper"))
    sides = []
    if lower is not None:
        sides.append(("lower", censored.meets_lower(possible, lower, limits.get("lower_inclusive", True))))
    if upper is not None:
        sides.append(("upper", censored.meets_upper(possible, upper, limits.get("upper_inclusive", True))))
    for side, outcome in sides:
        if outcome == censored.NONE:
            message = (
                _("below the lower limit ({criterion})")
                if side == "lower"
                else _("above the upper limit ({criterion})")
            )
            return Evaluation(FAIL, bound, message.format(criterion=criterion))
    if any(outcome == censored.SOME for _side, outcome in sides):
        return Evaluation(
            FAIL,
            bound,
            _(
                "{result} cannot be shown to meet {criterion}: the true value may be outside it "
                "(a censored result passes only when every value it allows passes)"
            ).format(result=shown, criterion=criterion),
        )
    alert_lower, alert_upper = _dec(limits.get("alert_lower")), _dec(limits.get("alert_upper"))
    if alert_lower is not None and censored.meets_lower(possible, alert_lower) != censored.ALL:
        return Evaluation(
            ALERT,
            bound,
            _("{result} may be below the alert limit {limit}").format(
                result=shown, limit=limits["alert_lower"]
            ),
        )
    if alert_upper is not None and censored.meets_upper(possible, alert_upper) != censored.ALL:
        return Evaluation(
            ALERT,
            bound,
            _("{result} may be above the alert limit {limit}").format(
                result=shown, limit=limits["alert_upper"]
            ),
        )
    return Evaluation(PASS, bound, "")


def normalise_text(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def evaluate_qualitative(text: str, limits: dict, *, field: str = "text_value") -> Evaluation:
    given = normalise_text(text)
    if not given:
        raise InputError(_("a qualitative result is required"), where=field)
    choices = limits.get("choices") or []
    if choices and given not in {normalise_text(c) for c in choices}:
        raise InputError(
            _("{value} is not one of the possible results: {choices}").format(
                value=text, choices=", ".join(choices)
            ),
            where=field,
        )
    acceptable = {normalise_text(a) for a in limits.get("acceptable") or []}
    if given in acceptable:
        return Evaluation(PASS, None, "")
    return Evaluation(
        FAIL,
        None,
        _("{value} is not acceptable (acceptable: {criterion})").format(
            value=text, criterion=criterion_text(limits)
        ),
    )


def parameter_in_range(value: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    """Process parameter ranges are inclusive at both ends."""
    if low is not None and value < low:
        return False
    if high is not None and value > high:
        return False
    return True


# --- units --------------------------------------------------------------------------------


def convert(value: Decimal, from_unit: str, to_unit: str, *, field: str = "unit") -> Decimal:
    """`value` in `from_unit` expressed in `to_unit` (the project's registry, `evqms.core.units`);
    InputError naming `field` when impossible."""
    if units.normalise(from_unit) == units.normalise(to_unit):
        return value
    if not (from_unit or "").strip() or not (to_unit or "").strip():
        raise InputError(
            _("unit {given} cannot be converted to {expected}").format(
                given=from_unit or _("(none)"), expected=to_unit or _("(none)")
            ),
            where=field,
        )
    return units.convert(value, from_unit, to_unit, field=field)
