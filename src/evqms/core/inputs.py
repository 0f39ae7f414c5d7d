"""Rules every service applies to typed input: a required text, a moment that has happened.

One home, so the dossier, lot and study services refuse the same input with the same message.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from evqms.errors import InputError
from evqms.i18n import _

# A clock a few minutes ahead of the server's must not make a just-finished step "in the future".
FUTURE_MARGIN = dt.timedelta(minutes=5)


def required_text(value, field: str, message: str | None = None) -> str:
    """The text stripped; refused naming `field` when empty (`message` says what is missing)."""
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if not text:
        raise InputError(message or _("this field is required"), where=field)
    return text


def past_moment(value, field: str) -> dt.datetime:
    """A date and time that has happened: a naive one is read in the facility's zone; one beyond
    the margin ahead of now is refused naming `field`."""
    if not isinstance(value, dt.datetime):
        raise InputError(_("a date and time is required"), where=field)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + FUTURE_MARGIN:
        raise InputError(_("{when} is in the future").format(when=value.isoformat()), where=field)
    return value
