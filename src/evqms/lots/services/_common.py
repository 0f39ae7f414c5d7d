"""What every lot service shares: the clock, the locked lot row, the status rule, required
text and times that must not lie in the future."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from evqms.core.db import lock_for_update
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.lots.models import Lot


def now() -> dt.datetime:
    return timezone.now()


def locked_lot(lot: Lot) -> Lot:
    return (
        lock_for_update(Lot.objects.filter(pk=lot.pk))
        .select_related("product", "process", "specification", "cell_bank")
        .get()
    )


def status_refusal(lot: Lot, allowed: tuple[str, ...], action: str) -> str | None:
    if lot.status in allowed:
        return None
    return _("lot {lot} is {status}: cannot {action}").format(
        lot=lot.number, status=lot.get_status_display(), action=action
    )


def require_status(lot: Lot, allowed: tuple[str, ...], action: str) -> None:
    refusal = status_refusal(lot, allowed, action)
    if refusal:
        raise RuleViolation(refusal)


def required_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InputError(message, where=field)
    return value


def aware(value: dt.datetime, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InputError(_("a date and time is required"), where=field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now() + dt.timedelta(minutes=5):
        raise InputError(_("{when} is in the future").format(when=value.isoformat()), where=field)
    return value
