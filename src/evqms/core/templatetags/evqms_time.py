"""Template filters for times a person reads: local time with its zone, or the local day.

`{{ lot.released_at|local_time }}` -> "2026-12-06 10:00 JST"; `|local_time_s` adds seconds;
`|local_day` -> "2026-12-06" (the day in the facility's zone, for "assessed on" style dates).
They accept aware datetimes or ISO text (times stored in JSON) and print nothing for None.
"""

from __future__ import annotations

from django import template

from evqms.core import timefmt

register = template.Library()


def _safe(fn, value, **kwargs) -> str:
    try:
        return fn(value, **kwargs)
    except (TypeError, ValueError, AttributeError):  # a stored value must never make a page 500
        return str(value)


@register.filter(expects_localtime=False)
def local_time(value) -> str:
    return _safe(timefmt.display_local, value)


@register.filter(expects_localtime=False)
def local_time_s(value) -> str:
    return _safe(timefmt.display_local, value, seconds=True)


@register.filter(expects_localtime=False)
def local_iso(value) -> str:
    return _safe(timefmt.iso_local, value)


@register.filter(expects_localtime=False)
def local_day(value) -> str:
    day = _safe(timefmt.local_date, value)
    return day.isoformat() if hasattr(day, "isoformat") else (day or "")
