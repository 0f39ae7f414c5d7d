"""Display helpers for dossier pages: numbers without trailing zeros, units as printed, criteria."""

from __future__ import annotations

from decimal import Decimal

from django import template

from evqms.core.units import unit_label
from evqms.i18n import _

register = template.Library()


@register.filter
def num(value) -> str:
    """1E+10 -> 1×10^10, 0.500000 -> 0.5, 200.0000 -> 200."""
    if value is None or value == "":
        return ""
    d = Decimal(value).normalize()
    if d != 0 and (abs(d) >= Decimal("1e7") or abs(d) < Decimal("1e-4")):
        mantissa, exponent = f"{d:e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        return f"{mantissa}×10^{int(exponent)}"
    text = format(d, "f")
    return text


@register.filter
def unit(text) -> str:
    return unit_label(text or "")


@register.filter
def criterion(attr) -> str:
    """The acceptance criterion as people read it: '≥ 50 – ≤ 200 nm', '< 0.5 EU/mL', 'positive'."""
    if attr.kind == "qualitative":
        return " / ".join(attr.acceptable or [])
    u = unit_label(attr.unit)
    parts = []
    if attr.lower is not None:
        parts.append(f"{'≥' if attr.lower_inclusive else '>'} {num(attr.lower)}")
    if attr.upper is not None:
        parts.append(f"{'≤' if attr.upper_inclusive else '<'} {num(attr.upper)}")
    if not parts:
        return _("report")
    return f"{' and '.join(parts) if len(parts) == 1 else parts[0] + ' – ' + parts[1]} {u}".strip()


@register.filter
def alert(attr) -> str:
    parts = []
    if attr.alert_lower is not None:
        parts.append(f"< {num(attr.alert_lower)}")
    if attr.alert_upper is not None:
        parts.append(f"> {num(attr.alert_upper)}")
    return ", ".join(parts)


@register.filter
def param_range(p) -> str:
    u = unit_label(p.unit)
    if p.low is not None and p.high is not None:
        return f"{num(p.low)} – {num(p.high)} {u}".strip()
    if p.low is not None:
        return f"≥ {num(p.low)} {u}".strip()
    if p.high is not None:
        return f"≤ {num(p.high)} {u}".strip()
    return u


@register.filter
def route_labels(routes) -> str:
    from evqms.dossier.models import ROUTES

    names = dict(ROUTES)
    return ", ".join(str(names.get(r, r)) for r in routes or [])
