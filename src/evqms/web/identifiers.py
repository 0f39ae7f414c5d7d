"""QA corrects a stored identifier that breaks the identifier rule (evqms.core.identifiers).

Rows stored before the rule may carry "/" or "</script>" or differ from another only in letter
case; such a row cannot be linked or routed. QA gives it a new identifier with a reason; the change
is audited (identifier.correct, before and after) in the same transaction.
"""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers
from evqms.core.db import lock_for_update
from evqms.errors import InputError
from evqms.i18n import _


@transaction.atomic
def correct_identifier(*, kind: str, old: str, new: str, reason: str, actor, pk: int | None = None):
    """Rename the `kind` record identified by `old` (and `pk` when `old` is not unique) to `new`."""
    require(actor, "web.correct_identifier")
    if kind not in identifiers.KINDS:
        raise InputError(_("unknown identifier kind {kind}").format(kind=kind), where="kind")
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("give the reason for the correction"), where="reason")
    k = identifiers.KINDS[kind]
    new = identifiers.clean(kind, new, field="new")
    model = identifiers._model(kind)
    rows = model._default_manager.filter(**{k.field: old})
    if pk is not None:
        rows = rows.filter(pk=pk)
    found = list(lock_for_update(rows)[:2])
    if not found:
        raise InputError(
            _("no {kind} {value} was found").format(kind=identifiers.kind_labels()[kind], value=old),
            where="old",
        )
    if len(found) > 1:
        raise InputError(_("{value} is not unique: give the record id").format(value=old), where="old")
    record = found[0]
    if new == old:
        raise InputError(_("the new identifier is the same as the old one"), where="new")
    scope = {s: getattr(record, s) for s in k.scope}
    identifiers.require_unique(kind, new, field="new", scope=scope, exclude_pk=record.pk)
    setattr(record, k.field, new)
    record.save(update_fields=[k.field])
    record_event(
        actor=actor,
        action="identifier.correct",
        object_type=kind,
        object_id=record.pk,
        before={k.field: old},
        after={k.field: new},
        reason=reason,
    )
    return record
