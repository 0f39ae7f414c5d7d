"""Shared pieces of the dossier services: the draft state, choice checks, who authored a record."""

from __future__ import annotations

from evqms.audit.models import AuditEvent
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _

EDITABLE = "draft"


class ImmutableRecord(RuleViolation):
    """An approved or superseded version was about to be changed."""


def _choice(value, choices, field: str) -> str:
    allowed = {k for k, _label in choices}
    if value not in allowed:
        raise InputError(_("unknown value {value}").format(value=value), where=field)
    return value


def _authors(object_type: str, object_id) -> set[int]:
    """Who created or edited this record (from the audit trail): they may not approve it."""
    qs = AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).exclude(
        action__startswith="signature."
    )
    return {pk for pk in qs.values_list("actor_id", flat=True) if pk is not None}


def _known_document(code: str, field: str) -> str:
    """A document code a step or attribute declares must name a controlled document of the dossier
    (any version: the gate asks for its current approved version when a step is recorded)."""
    from evqms.dossier.models import Document
    from evqms.dossier.validation import document_code

    code = document_code(code, field)
    if code and not Document.objects.filter(code=code).exists():
        raise InputError(_("no document {code} in the dossier").format(code=code), where=field)
    return code
