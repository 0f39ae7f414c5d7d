"""What every studies service shares: the time now, a checked time, a recorded decimal, required text."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from django.utils import timezone

from evqms.errors import InputError
from evqms.i18n import _


def now() -> dt.datetime:
    return timezone.now()


def checked_when(value: dt.datetime | None, field: str) -> dt.datetime:
    if value is None:
        return now()
    if not isinstance(value, dt.datetime):
        raise InputError(_("a date and time is required"), where=field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now() + dt.timedelta(minutes=5):
        raise InputError(_("{when} is in the future").format(when=value.isoformat()), where=field)
    return value


def decimal_from_float(value: float, field: str) -> Decimal:
    """A computed float as a Decimal with 10 significant figures (no binary noise in the record)."""
    if value is None or not math.isfinite(value):
        raise InputError(_("no finite value to record"), where=field)
    return Decimal(f"{value:.10g}")


def required_text(value, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InputError(message, where=field)
    return value
