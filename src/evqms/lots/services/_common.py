"""What every lot service shares: the clock, the locked lot row, the status rule and the audited
change (required text and past moments are `core.inputs`, shared with every service)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from evqms.audit.services import record_event
from evqms.core.db import lock_for_update
from evqms.errors import RuleViolation
from evqms.i18n import _
from evqms.lots.models import Deviation, Lot, QCResult
from evqms.lots.records import deviation_record, lot_record, qc_result_record


def now() -> dt.datetime:
    return timezone.now()


LOT_RELATED = ("product", "process", "specification", "cell_bank")


def locked_lot(lot: Lot) -> Lot:
    return lock_for_update(Lot.objects.filter(pk=lot.pk)).select_related(*LOT_RELATED).get()


def locked_lots(lots) -> dict[int, Lot]:
    """Each distinct lot of `lots` read and locked once, by id (in id order, as every batch locks)."""
    ids = sorted({lot.pk for lot in lots})
    query = lock_for_update(Lot.objects.filter(pk__in=ids).order_by("pk")).select_related(*LOT_RELATED)
    return {lot.pk: lot for lot in query}


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


# How each lot record is named in the audit trail and what of it an event stores.
_AUDITED = {
    Lot: ("lot", lot_record),
    QCResult: ("qc_result", qc_result_record),
    Deviation: ("deviation", deviation_record),
}


def audited_update(record, *, actor, action: str, reason: str = "", **fields):
    """Set `fields` on `record` (a lot, a QC result or a deviation), save only them and audit the
    change, before and after, in the caller's transaction."""
    object_type, projection = _AUDITED[type(record)]
    before = projection(record)
    for name, value in fields.items():
        setattr(record, name, value)
    record.save(update_fields=list(fields))
    record_event(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=record.pk,
        before=before,
        after=projection(record),
        reason=reason,
    )
    return record
