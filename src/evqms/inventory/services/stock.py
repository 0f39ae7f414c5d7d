"""One aliquot under lock and its audited change: the mechanics every stock action shares.

Every change of an aliquot goes through `change_aliquot` (or `leave_storage`, which also keeps the
move out of its location), in the caller's transaction, so each one has its audit event.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone

from evqms.audit.services import record_event
from evqms.errors import InputError
from evqms.i18n import _
from evqms.inventory.models import Aliquot, AliquotMove
from evqms.inventory.records import aliquot_record


def parse_decimal(value, field: str, *, positive: bool = True, allow_none: bool = False) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise InputError(_("a value is required"), where=field)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InputError(_("not a number: {value}").format(value=value), where=field) from None
    if not number.is_finite() or (positive and number <= 0):
        raise InputError(_("must be a positive number"), where=field)
    return number


def require_transaction(function: str, whose: str) -> None:
    """For a write that is one part of another record's transaction (a recall, a hold, an
    administration): alone it would leave that record and the stock disagreeing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{function} must run inside the {whose} transaction")


def lock_aliquots(queryset):
    """Row locks on the aliquots only (not on the lot or location joined for reading), where the database
    has row locks; SQLite serialises write transactions instead (see evqms.core.db)."""
    if connection.features.has_select_for_update:
        return queryset.select_for_update(of=("self",))
    return queryset


def locked_aliquot(aliquot: Aliquot | str) -> Aliquot:
    """The aliquot (object or container id) read again under its row lock; InputError when unknown."""
    key = {"container_id": aliquot} if isinstance(aliquot, str) else {"pk": aliquot.pk}
    found = lock_aliquots(Aliquot.objects.filter(**key)).select_related("lot", "location").first()
    if found is None:
        raise InputError(
            _("unknown aliquot {code}").format(code=key.get("container_id", "")), where="aliquot"
        )
    return found


def change_aliquot(actor, aliquot: Aliquot, action: str, why: str = "", **fields) -> Aliquot:
    """Set `fields` on the locked aliquot, save them and write the audit event (before and after), in
    the caller's transaction."""
    before = aliquot_record(aliquot)
    for name, value in fields.items():
        setattr(aliquot, name, value)
    aliquot.save(update_fields=list(fields))
    record_event(
        actor=actor,
        action=action,
        object_type="aliquot",
        object_id=aliquot.pk,
        before=before,
        after=aliquot_record(aliquot),
        reason=why,
    )
    return aliquot


def record_move(actor, aliquot: Aliquot, to_location, reason: str) -> AliquotMove:
    """The aliquot's move from where it is now to `to_location` (None: out of storage), kept beside
    its audit event so the location history reads without replaying the audit trail."""
    return AliquotMove.objects.create(
        aliquot=aliquot,
        from_location=aliquot.location,
        to_location=to_location,
        moved_by=actor,
        moved_at=timezone.now(),
        reason=reason,
    )


def leave_storage(actor, aliquot: Aliquot, status: str, why: str, action: str, **fields) -> Aliquot:
    """The unit leaves storage (shipped, administered, discarded): the move out of its location is
    kept, and its reason is `why` unless `fields` give another."""
    if aliquot.location_id:
        record_move(actor, aliquot, None, why)
    return change_aliquot(
        actor, aliquot, action, why, **{"status": status, "reason": why, "location": None, **fields}
    )
