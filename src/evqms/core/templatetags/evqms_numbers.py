"""Numbers and units in templates, written as evqms.core.display writes them everywhere else:
`{{ value|number }}` (1E+10 -> 1 × 10¹⁰, 25.000 -> 25), `{{ value|number:2 }}` (two places),
`{{ value|significant }}` (a derived number, four significant figures), `{{ unit|unit }}`
(ug/mL -> µg/mL, degC -> °C). Never `floatformat` or `stringformat:".3e"` on a measured value."""

from __future__ import annotations

from django import template

from evqms.core.display import format_number, format_significant
from evqms.core.units import unit_label

register = template.Library()


@register.filter
def number(value, places=None):
    return format_number(value, places)


@register.filter
def significant(value, figures=4):
    return format_significant(value, int(figures))


@register.filter
def unit(value):
    return unit_label(value or "")
