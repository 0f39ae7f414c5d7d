"""What every studies service shares: the time now, a checked time, a recorded decimal.

A time and a required text are checked by the lot services' own rules (the same future margin
and messages as a QC result's tested-at), so a study record and the QC result it fills agree.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from django.utils import timezone

from evqms.core.inputs import past_moment, required_text
from evqms.errors import InputError
from evqms.i18n import _

__all__ = ["checked_when", "decimal_from_float", "now", "required_text"]


def now() -> dt.datetime:
    return timezone.now()


def checked_when(value: dt.datetime | None, field: str) -> dt.datetime:
    """`value` made aware and refused when in the future; now when none is given."""
    return now() if value is None else past_moment(value, field)


def decimal_from_float(value: float, field: str) -> Decimal:
    """A computed float as a Decimal with 10 significant figures (no binary noise in the record)."""
    if value is None or not math.isfinite(value):
        raise InputError(_("no finite value to record"), where=field)
    return Decimal(f"{value:.10g}")
