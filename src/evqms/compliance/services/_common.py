"""What the compliance services share: a coded choice checked against its list."""

from __future__ import annotations

from evqms.errors import InputError
from evqms.i18n import _


def check_choice(value: str, choices, field: str, *, blank: bool = False) -> str:
    if blank and not value:
        return ""
    if value not in {c for c, _label in choices}:
        raise InputError(_("unknown value {value!r}").format(value=value), where=field)
    return value
