"""The period of a registry export: administrations from `first` to `last`, both days included
(local days), either end open. Bad input is refused naming the field (`from`, `to`), as the form,
the API and the command line call it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from evqms.errors import InputError
from evqms.i18n import _


def _field_label(field: str) -> str:
    return {"from": _("the start of the period (from)"), "to": _("the end of the period (to)")}[field]


def _day(value, field: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else _bad(text, field)
    except ValueError:
        return _bad(text, field)


def _bad(text: str, field: str):
    shown = text if len(text) <= 40 else text[:40] + "…"
    raise InputError(
        _("{field} must be a date written YYYY-MM-DD, such as 2026-01-31 (got “{value}”)").format(
            field=_field_label(field), value=shown
        ),
        where=field,
    )


@dataclass(frozen=True)
class ExportPeriod:
    first: dt.date | None = None
    last: dt.date | None = None

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """[start, end) as aware instants in the facility's zone (end: the day after `last`)."""
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(self.first, dt.time.min, tzinfo=zone) if self.first else None
        end = (
            dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
            if self.last
            else None
        )
        return start, end

    def record(self) -> dict:
        return {
            "from": self.first.isoformat() if self.first else None,
            "to": self.last.isoformat() if self.last else None,
        }

    def text(self) -> str:
        if not self.first and not self.last:
            return _("every administration (no period)")
        return "{first} – {last}".format(
            first=self.first.isoformat() if self.first else "…",
            last=self.last.isoformat() if self.last else "…",
        )

    def slug(self) -> str:
        if not self.first and not self.last:
            return "all"
        return f"{self.first.isoformat() if self.first else 'start'}_{self.last.isoformat() if self.last else 'now'}"


def parse_period(date_from=None, date_to=None) -> ExportPeriod:
    """The period from two texts (or dates); InputError naming `from` or `to` when one is not a
    date, or when the start lies after the end."""
    first = _day(date_from, "from")
    last = _day(date_to, "to")
    if first and last and first > last:
        raise InputError(
            _("{start} ({first}) lies after {end} ({last})").format(
                start=_field_label("from"),
                first=first.isoformat(),
                end=_field_label("to"),
                last=last.isoformat(),
            ),
            where="from",
        )
    return ExportPeriod(first, last)
