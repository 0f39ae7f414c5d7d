"""How QC numbers, acceptance criteria, results and signed times are written for people: one
rendering for the lot page, the command line, the API, the verdict's reason and the certificate
of analysis (which turns the text into its PDF's glyphs with `reports.formatting.pdf_html`).

Pure text (only the signature time reads the facility's zone from Django): `evaluation` writes
the criterion into a verdict's reason with it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

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


def format_number(value, places: int | None = None) -> str:
    """1E+9 -> '1 × 10⁹', 3.25E+11 -> '3.25 × 10¹¹', 0.5 with 2 places -> '0.50', 112 -> '112'."""
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    if number != 0 and abs(number) >= SCIENTIFIC_FROM:
        exponent = number.adjusted()
        mantissa = number.scaleb(-exponent).normalize()
        return f"{format(mantissa, 'f')} × 10{str(exponent).translate(SUPERSCRIPT)}"
    if places is not None:
        return format(number.quantize(Decimal(1).scaleb(-int(places))), "f")
    normal = number.normalize()
    return format(normal, "f") if normal != 0 else "0"


def criterion_text(limits: dict | None) -> str:
    """The acceptance criterion of frozen limits as people write it: '≥ 1 × 10⁹ – ≤ 1 × 10¹²
    particles/mL', '< 0.5 EU/mL', 'positive' (the dossier's specification page writes a range the
    same way)."""
    if not limits:
        return ""
    if limits.get("kind") == "qualitative":
        return " / ".join(limits.get("acceptable") or [])
    parts = []
    if limits.get("lower") is not None:
        parts.append(("≥ " if limits.get("lower_inclusive", True) else "> ") + format_number(limits["lower"]))
    if limits.get("upper") is not None:
        parts.append(("≤ " if limits.get("upper_inclusive", True) else "< ") + format_number(limits["upper"]))
    text = " – ".join(parts) if parts else _("report")
    return f"{text} {limits.get('unit') or ''}".strip()


def alert_text(limits: dict | None) -> str:
    """The alert limits, as the range inside which no alert is raised: '≥ 60, ≤ 180'."""
    if not limits:
        return ""
    parts = []
    if limits.get("alert_lower") is not None:
        parts.append("≥ " + format_number(limits["alert_lower"]))
    if limits.get("alert_upper") is not None:
        parts.append("≤ " + format_number(limits["alert_upper"]))
    return ", ".join(parts)


def result_text(result: dict) -> str:
    """The reported result of a lot_detail() result entry: rounded value in the spec unit, or the text."""
    if result.get("text_value"):
        return result["text_value"]
    limits = result.get("limits") or {}
    value = result.get("reported_value")
    if value is None:
        value = result.get("value_in_spec_unit")
    shown = format_number(value, limits.get("decimal_places"))
    return f"{shown} {limits.get('unit') or result.get('unit') or ''}".strip()


def entered_text(result: dict) -> str:
    """The value as entered, when its unit differs from the specification's (else empty)."""
    if result.get("text_value") or result.get("value") is None:
        return ""
    limits = result.get("limits") or {}
    if (result.get("unit") or "") == (limits.get("unit") or ""):
        return ""
    return f"{format_number(result['value'])} {result.get('unit') or ''}".strip()


def zoned_time_text(value: dt.datetime | None) -> str:
    """A moment (a signature, a report made) in the facility's zone to the second, the zone named:
    '2024-06-01 14:05:09 JST (UTC+09:00, Asia/Tokyo)'."""
    # Imported here: the rest of this module is pure text, and evaluation imports it.
    from django.utils import timezone

    from evqms.core import timefmt

    local = timefmt.to_local(value)
    if local is None:
        return ""
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else "+00:00"
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} (UTC{offset}, {timezone.get_current_timezone_name()})"
