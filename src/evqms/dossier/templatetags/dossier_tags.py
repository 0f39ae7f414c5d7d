"""Display helpers for dossier pages: numbers without trailing zeros, units as printed, criteria."""

from __future__ import annotations

from django import template

from evqms.core.display import alert_text, criterion_text, format_number
from evqms.core.units import unit_label

register = template.Library()


@register.filter
def num(value) -> str:
    """A number as people write it (core.display): 1E+10 -> '1 × 10¹⁰', 0.500000 -> '0.5'."""
    return format_number(value)


@register.filter
def unit(text) -> str:
    return unit_label(text or "")


def _limits(attr) -> dict:
    return {
        "kind": attr.kind,
        "unit": attr.unit,
        "lower": attr.lower,
        "lower_inclusive": attr.lower_inclusive,
        "upper": attr.upper,
        "upper_inclusive": attr.upper_inclusive,
        "alert_lower": attr.alert_lower,
        "alert_upper": attr.alert_upper,
        "acceptable": attr.acceptable,
    }


@register.filter
def criterion(attr) -> str:
    """The acceptance criterion as the lot page and the CoA write it: '≥ 50 – ≤ 200 nm'."""
    return criterion_text(_limits(attr))


@register.filter
def alert(attr) -> str:
    """The alert limits as the lot page writes them (the range inside which no alert is raised)."""
    return alert_text(_limits(attr))


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
