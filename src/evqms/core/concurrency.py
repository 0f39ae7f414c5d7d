"""Optimistic concurrency for edit forms: nobody saves over a change they have not seen.

An edit form carries `seen`, the fingerprint of the record as it was shown (the same record dict
the audit trail stores as `before`). The service, holding the row lock, compares it with the
record now: if another person saved in between, the edit is refused and nothing is written, so a
stale form cannot silently undo their change to fields this user never touched. Callers that
edit without a form (CLI, demo, API without the field) pass no fingerprint and are not checked.
"""

from __future__ import annotations

from django import forms

from evqms.core.canonical import canonical_hash
from evqms.errors import EditConflict
from evqms.i18n import _


def fingerprint(record: dict) -> str:
    return canonical_hash(record)


def require_unchanged(seen: str | None, current: dict, *, what: str) -> None:
    """Refuse the edit if `seen` (the fingerprint the form was opened with) is not the record now."""
    if seen and seen != fingerprint(current):
        raise EditConflict(
            _(
                "{what} was changed by someone else after you opened this form: reload it, check their "
                "change and make yours again"
            ).format(what=what)
        )


class SeenField(forms.CharField):
    """The hidden form field holding the fingerprint of the record as the form showed it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
