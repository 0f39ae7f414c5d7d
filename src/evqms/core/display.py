"""How numbers, acceptance criteria and alert limits are written for people, on every page,
report and export: '1 × 10⁹' rather than '1E+9' or '1000000000.000000', '≥ 50 – ≤ 200 nm',
units as printed (µg/mL, °C). The dossier's specification pages, the lot page, the command line,
the API, a verdict's reason and the certificate of analysis all write them through here.

Pure text (no Django).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from evqms.core.units import unit_label
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


def result_value_text(value, unit: str = "", *, censor: str = "", places: int | None = None) -> str:
    """A quantitative result as people write it, with its unit: '0.12 mg/mL', '3.25 × 10¹¹
    particles/mL', and a censored one with its sign: '< 0.05 ng/dose', '> 1000 EU/mL'. A censored
    bound is written as the laboratory stated it, never padded or rounded to `places` (a bound
    rounded could say something untrue: '< 0.04' to one place would be '< 0.0')."""
    shown = format_number(value) if censor else format_number(value, places)
    if censor:
        shown = f"{censor} {shown}"
    return f"{shown} {unit_label(unit or '')}".strip()


def format_significant(value, figures: int = 4) -> str:
    """A derived number (a dose per kg, a mean) to `figures` significant figures, then as
    format_number writes it: 341880341.9 -> '3.419 × 10⁸', 0.427350 -> '0.4274', 25.000 -> '25'."""
    number = _decimal(value)
    if number is None or number == 0:
        return format_number(value)
    return format_number(round(number, figures - 1 - number.adjusted()))


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
    return f"{text} {unit_label(limits.get('unit') or '')}".strip()


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
