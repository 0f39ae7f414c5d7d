"""Template helpers of environmental monitoring: a verdict or status as a badge, a method's name."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from evqms.environment import limits as L

register = template.Library()

_VERDICT_CSS = {"within": "ok", "alert": "warn", "action": "bad", "no_limit": ""}
_STATUS_CSS = {"taken": "ok", "missed": "bad", "due": ""}


@register.filter
def verdict_badge(verdict: str) -> str:
    if not verdict:
        return ""
    return format_html(
        '<span class="badge {}">{}</span>', _VERDICT_CSS.get(verdict, ""), L.verdict_label(verdict)
    )


@register.filter
def method_name(method: str) -> str:
    return L.method_label(method)


@register.filter
def method_unit(method: str) -> str:
    return L.method_unit(method)


@register.filter
def limit_for(value, method: str) -> str:
    """A limit as written everywhere: 'no growth', '5 cfu/4 h', 'not set'."""
    return L.limit_text(value, method)


@register.filter
def state_name(occupancy: str) -> str:
    return L.occupancy_label(occupancy)


@register.simple_tag
def status_badge(sample, today=None) -> str:
    from django.utils.translation import gettext as _

    if sample.status == "due" and today is not None and sample.due_on < today:
        return format_html('<span class="badge bad">{}</span>', _("overdue: not taken"))
    return format_html(
        '<span class="badge {}">{}</span>', _STATUS_CSS.get(sample.status, ""), sample.get_status_display()
    )
