from django import template

from evqms.core.display import format_significant
from evqms.lots.models import LOT_STATUSES

register = template.Library()


@register.filter
def sig(value, figures=4):
    """A number to `figures` significant figures, as core.display writes numbers ('3.1 × 10¹⁰',
    '98.23'); '-' for None."""
    if value is None or value == "":
        return "-"
    try:
        return format_significant(float(value), int(figures))
    except (TypeError, ValueError):
        return value


@register.filter
def lot_status(value):
    """A lot status code in the reader's language ('released' -> '出荷判定済み' in Japanese)."""
    return dict(LOT_STATUSES).get(value, value)
