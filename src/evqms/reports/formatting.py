"""How numbers, limits and signature times are shown on pages and in reports (one place, so the
lot page and the certificate of analysis never disagree).

`pdf=True` gives safe HTML for WeasyPrint whose characters all exist in the embedded IPAex
Gothic font: exponents as <sup> (the font has no superscript digits), ≧/≦ instead of ≥/≤ (JIS
has only the former), μ (Greek) for µ (micro sign). Otherwise a missing glyph would be drawn from
some other font on the machine, and the PDF would depend on that machine.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from evqms.core import timefmt
from evqms.i18n import _

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
SCIENTIFIC_FROM = Decimal("1e6")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def fmt_number(value, places: int | None = None, *, pdf: bool = False) -> str:
    """1E+9 -> '1 × 10⁹', 3.25E+11 -> '3.25 × 10¹¹', 0.5 with 2 places -> '0.50', 112 -> '112'."""
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    if number != 0 and abs(number) >= SCIENTIFIC_FROM:
        exponent = number.adjusted()
        mantissa = number.scaleb(-exponent).normalize()
        shown = format(mantissa, "f")
        if pdf:
            return f"{shown} × 10<sup>{exponent}</sup>"
        return f"{shown} × 10{str(exponent).translate(SUPERSCRIPT)}"
    if places is not None:
        return format(number.quantize(Decimal(1).scaleb(-int(places))), "f")
    normal = number.normalize()
    return format(normal, "f") if normal != 0 else "0"


def _unit(unit: str, pdf: bool) -> str:
    return escape((unit or "").replace("µ", "μ")) if pdf else (unit or "")


def _out(text: str, pdf: bool) -> str:
    return mark_safe(text) if pdf else text  # noqa: S308 - every piece from data was escaped


def fmt_criterion(limits: dict | None, *, pdf: bool = False) -> str:
    """The frozen acceptance criterion as people write it: '≥ 1 × 10⁹, ≤ 1 × 10¹² particles/mL'."""
    if not limits:
        return ""
    if limits.get("kind") == "qualitative":
        text = " / ".join(limits.get("acceptable") or [])
        return _out(escape(text), pdf) if pdf else text
    ge, le = ("≧ ", "≦ ") if pdf else ("≥ ", "≤ ")
    gt, lt = ("&gt; ", "&lt; ") if pdf else ("> ", "< ")
    parts = []
    if limits.get("lower") is not None:
        parts.append(
            (ge if limits.get("lower_inclusive", True) else gt) + fmt_number(limits["lower"], pdf=pdf)
        )
    if limits.get("upper") is not None:
        parts.append(
            (le if limits.get("upper_inclusive", True) else lt) + fmt_number(limits["upper"], pdf=pdf)
        )
    text = ", ".join(parts) if parts else (escape(_("report")) if pdf else _("report"))
    return _out(f"{text} {_unit(limits.get('unit'), pdf)}".strip(), pdf)


def fmt_alert(limits: dict | None, *, pdf: bool = False) -> str:
    if not limits:
        return ""
    ge, le = ("≧ ", "≦ ") if pdf else ("≥ ", "≤ ")
    parts = []
    if limits.get("alert_lower") is not None:
        parts.append(ge + fmt_number(limits["alert_lower"], pdf=pdf))
    if limits.get("alert_upper") is not None:
        parts.append(le + fmt_number(limits["alert_upper"], pdf=pdf))
    return _out(", ".join(parts), pdf)


def fmt_result(result: dict, *, pdf: bool = False) -> str:
    """The reported result of a lot_detail() result entry: rounded value in the spec unit, or the text."""
    if result.get("text_value"):
        return _out(escape(result["text_value"]), pdf) if pdf else result["text_value"]
    limits = result.get("limits") or {}
    value = result.get("reported_value")
    if value is None:
        value = result.get("value_in_spec_unit")
    shown = fmt_number(value, limits.get("decimal_places"), pdf=pdf)
    unit = _unit(limits.get("unit") or result.get("unit") or "", pdf)
    return _out(f"{shown} {unit}".strip(), pdf)


def fmt_entered(result: dict) -> str:
    """The value as entered, when its unit differs from the specification's (else empty)."""
    if result.get("text_value") or result.get("value") is None:
        return ""
    limits = result.get("limits") or {}
    if (result.get("unit") or "") == (limits.get("unit") or ""):
        return ""
    return f"{fmt_number(result['value'])} {result.get('unit') or ''}".strip()


def fmt_datetime(value: dt.datetime | None) -> str:
    """Local date and time with the zone: '2024-06-01 14:05:09 JST (UTC+09:00, Asia/Tokyo)'."""
    local = timefmt.to_local(value)
    if local is None:
        return ""
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else "+00:00"
    zone = timezone.get_current_timezone_name()
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} (UTC{offset}, {zone})"


def fmt_datetime_short(value: dt.datetime | None) -> str:
    """Local date and time with the zone's name: '2024-06-01 14:05 JST'."""
    return timefmt.display_local(value)


def spec_limits(attribute) -> dict:
    """An attribute's limits in the current specification (shown before a result freezes them)."""
    from evqms.lots.evaluation import freeze_limits

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
    )
