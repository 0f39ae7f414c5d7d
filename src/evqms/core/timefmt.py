"""Times as a person reads them: in the facility's zone (settings.TIME_ZONE), always with that zone.

Stored times are aware UTC instants. Whatever a person reads (a page, a PDF, a CSV, a command's
output) shows local time and says which zone it is in, so 10:00 JST is never printed as a bare
"01:00". Machine-readable exports (CSV, JSON) use ISO 8601 with the offset.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def to_local(value: dt.datetime | str | None) -> dt.datetime | None:
    """An aware datetime (or its ISO text) in the facility's zone; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if timezone.is_naive(value):  # stored values are UTC; a naive one is read as UTC, never as local
        value = value.replace(tzinfo=dt.UTC)
    return timezone.localtime(value)


def iso_local(value: dt.datetime | str | None) -> str:
    """ISO 8601 with the local offset, to the second: '2026-12-06T10:00:00+09:00'; '' for None."""
    local = to_local(value)
    return local.isoformat(timespec="seconds") if local else ""


def display_local(value: dt.datetime | str | None, *, seconds: bool = False) -> str:
    """For people: '2026-12-06 10:00 JST' (the zone's abbreviation, else its offset); '' for None."""
    local = to_local(value)
    if local is None:
        return ""
    zone = local.tzname() or local.strftime("%z")
    if zone.startswith(("+", "-")):  # zones without an abbreviation print '+09'; say 'UTC+09:00'
        zone = "UTC" + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + " " + zone


def for_json(value):
    """`value` with every datetime inside it (dicts, lists) as iso_local text, for JSON output."""
    if isinstance(value, dt.datetime):
        return iso_local(value)
    if isinstance(value, dict):
        return {key: for_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [for_json(item) for item in value]
    return value


def local_date(value: dt.datetime | dt.date | str | None) -> dt.date | None:
    """The calendar day in the facility's zone (a 08:30 JST event is on that JST day, not the UTC one).

    A plain date (a DateField such as an expiry) is already a local day and is returned as it is."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    local = to_local(value)
    return local.date() if local else None
