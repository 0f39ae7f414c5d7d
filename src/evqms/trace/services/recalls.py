"""Recalls: QA's action that takes a lot out of use and follows it until it is contained.

A QA reviewer, a reason and the re-entered password mark a lot recalled. In the same transaction the
recipients (every administration of the lot's aliquots, found with the one forward trace query) are
frozen on the Recall, the lot is held (lots.LotHold, source the recall number), every remaining unit
in stock is put on hold, and every shipped unit becomes a RecallUnit that stays open until someone
confirms it was returned, destroyed or administered. QA closes the recall, signed, only when no unit
is open.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.core.db import lock_for_update
from evqms.core.numbering import next_number
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import Aliquot, ShipmentItem
from evqms.inventory.services.holds import SHIPPED_OUTCOMES, record_shipped_unit_outcome
from evqms.lots.models import Lot
from evqms.trace.models import Recall, RecallUnit
from evqms.trace.records import recall_unit_record
from evqms.trace.selectors.genealogy import trace
from evqms.trace.services.holds import hold_lot

RECALLABLE = ("released", "expired")


def _recipients_json(result) -> list[dict]:
    return [
        {**r, "administered_at": r["administered_at"].isoformat() if r["administered_at"] else None}
        for r in result.recipients()
    ]


def shipped_items(lot: Lot) -> list[ShipmentItem]:
    """The latest shipment of every unit of `lot` that is out with a consignee now."""
    items = (
        ShipmentItem.objects.filter(aliquot__lot=lot, aliquot__status="shipped")
        .select_related("aliquot", "shipment", "shipment__consignee")
        .order_by("aliquot__container_id", "-shipment__shipped_at", "-id")
    )
    latest: dict[int, ShipmentItem] = {}
    for item in items:
        latest.setdefault(item.aliquot_id, item)
    return list(latest.values())


def _recallable_lot(lot: Lot | str) -> Lot:
    number = lot if isinstance(lot, str) else lot.number
    found = Lot.objects.filter(number=number).first()
    if found is None:
        raise InputError(_("unknown lot {lot}").format(lot=number), where="lot")
    if found.status not in RECALLABLE:
        raise RuleViolation(
            _("lot {lot} is {status}: only a released or expired lot can be recalled").format(
                lot=found.number, status=found.status
            )
        )
    return found


def _mark_recalled(actor, lot: Lot, recall_number: str, reason: str) -> None:
    """The lot's status and its audit event. Writing lots.Lot from the trace app is agreed for the
    recall action (issue 5): the status change, its audit event, the signature and the recipient list
    must commit together or not at all."""
    previous = lot.status
    lot.status = "recalled"
    lot.save(update_fields=["status"])
    record_event(
        actor=actor,
        action="lot.recall",
        object_type="lot",
        object_id=lot.pk,
        before={"number": lot.number, "status": previous},
        after={"number": lot.number, "status": "recalled", "recall": recall_number},
        reason=reason,
    )


def _sign_recall(actor, lot: Lot, recall_number: str, previous: str, reason: str, recipients, shipped):
    """QA's signature (meaning: approval) over the recall as decided: the lot, its status before, the
    reason, the recipients and the shipped units."""
    signed = {
        "action": "recall",
        "recall": recall_number,
        "lot": lot.number,
        "previous_status": previous,
        "reason": reason,
        "recipients": recipients,
        "shipments": [
            {
                "shipment": i.shipment.number,
                "consignee": i.shipment.consignee.code,
                "aliquot": i.aliquot.container_id,
            }
            for i in shipped
        ],
    }
    return write_signature(
        signer=actor,
        meaning="approval",
        object_type="lot",
        object_id=lot.pk,
        record=signed,
        reason=reason,
    )


def _record_recall(actor, recall: Recall, recipients: list, shipped: list, reason: str) -> None:
    held = Aliquot.objects.filter(lot=recall.lot, status="on_hold", hold_ref=recall.number).count()
    record_event(
        actor=actor,
        action="recall.create",
        object_type="recall",
        object_id=recall.pk,
        after={
            "number": recall.number,
            "lot": recall.lot.number,
            "recipients": len(recipients),
            "shipped_units": len(shipped),
            "units_held": held,
        },
        reason=reason,
    )


def recall_lot(*, request, actor, lot: Lot | str, reason: str, password: str) -> Recall:
    """QA recalls a released or expired lot, signed: the lot is marked recalled, its recipients frozen,
    the lot and its stock held, and each shipped unit followed until it is closed."""
    require(actor, "trace.recall")
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("a reason is required to recall a lot"), where="reason")
    found = _recallable_lot(lot)
    # The password is checked before the transaction: a wrong one is a failed login that must stay recorded.
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        locked = lock_for_update(Lot.objects.filter(pk=found.pk)).get()
        if locked.status not in RECALLABLE:  # someone else recalled it meanwhile
            raise RuleViolation(
                _("lot {lot} is already {status}").format(lot=locked.number, status=locked.status)
            )
        recipients = _recipients_json(trace("lot", locked.number))
        shipped = shipped_items(locked)
        previous = locked.status
        now = timezone.now()
        recall_number = next_number(Recall, "RC-", width=5)  # a locked counter: no two recalls share one
        _mark_recalled(actor, locked, recall_number, reason)
        signature = _sign_recall(actor, locked, recall_number, previous, reason, recipients, shipped)
        recall = Recall.objects.create(
            number=recall_number,
            lot=locked,
            reason=reason,
            previous_status=previous,
            initiated_by=actor,
            initiated_at=now,
            signature=signature,
            recipients=recipients,
        )
        hold_lot(actor, locked, "recall", recall.number, reason, now)
        for item in shipped:
            RecallUnit.objects.create(recall=recall, aliquot=item.aliquot, shipment=item.shipment)
        _record_recall(actor, recall, recipients, shipped, reason)
    return recall


# --- recall effectiveness -------------------------------------------------------------------


@transaction.atomic
def close_recall_unit(*, actor, recall: Recall | str, aliquot: str, outcome: str, note: str) -> RecallUnit:
    """Confirm what became of one shipped unit of a recalled lot: returned, destroyed or administered.
    The person recording it is named on the unit, with the evidence (who confirmed it, a certificate)."""
    require(actor, "trace.recall_effectiveness")
    note = (note or "").strip()
    if outcome not in SHIPPED_OUTCOMES:
        raise InputError(_("choose returned, destroyed or administered"), where="outcome")
    if not note:
        raise InputError(_("say who confirmed it and how (evidence)"), where="note")
    number = recall if isinstance(recall, str) else recall.number
    locked = lock_for_update(Recall.objects.filter(number=number)).first()
    if locked is None:
        raise InputError(_("unknown recall {number}").format(number=number), where="recall")
    if locked.status != "open":
        raise RuleViolation(_("recall {number} is closed").format(number=locked.number))
    unit = (
        lock_for_update(
            RecallUnit.objects.filter(recall=locked, aliquot__container_id=(aliquot or "").strip())
        )
        .select_related("aliquot", "shipment")
        .first()
    )
    if unit is None:
        raise InputError(
            _("aliquot {code} is not a shipped unit of recall {number}").format(
                code=aliquot, number=locked.number
            ),
            where="aliquot",
        )
    if unit.outcome != "open":
        raise RuleViolation(
            _("aliquot {code} is already closed as {outcome}").format(
                code=unit.aliquot.container_id, outcome=unit.get_outcome_display()
            )
        )
    before = recall_unit_record(unit)
    record_shipped_unit_outcome(
        actor=actor, aliquot=unit.aliquot, outcome=outcome, source=locked.number, note=note
    )
    unit.outcome, unit.note, unit.confirmed_by, unit.confirmed_at = outcome, note, actor, timezone.now()
    unit.save(update_fields=["outcome", "note", "confirmed_by", "confirmed_at"])
    record_event(
        actor=actor,
        action="recall.unit_close",
        object_type="recall",
        object_id=locked.pk,
        before=before,
        after=recall_unit_record(unit),
        reason=note,
    )
    return unit


def _refuse_open_units(recall: Recall) -> None:
    still_open = list(
        RecallUnit.objects.filter(recall=recall, outcome="open")
        .order_by("aliquot__container_id")
        .values_list("aliquot__container_id", flat=True)
    )
    if still_open:
        raise RuleViolation(
            _("recall {number} still has {n} open units: {units}").format(
                number=recall.number, n=len(still_open), units=", ".join(still_open)
            )
        )


def close_recall(*, request, actor, recall: Recall | str, reason: str, password: str) -> Recall:
    """QA closes a recall (signed) once every shipped unit is returned, destroyed or administered. The
    lot stays recalled and its stock stays on hold: closing ends the follow-up, not the recall."""
    require(actor, "trace.recall")
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("summarise the recall's outcome"), where="reason")
    number = recall if isinstance(recall, str) else recall.number
    found = Recall.objects.filter(number=number).first()
    if found is None:
        raise InputError(_("unknown recall {number}").format(number=number), where="recall")
    if found.status != "open":
        raise RuleViolation(_("recall {number} is closed").format(number=found.number))
    _refuse_open_units(found)
    # The password is checked before the transaction: a wrong one is a failed login that must stay recorded.
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        locked = lock_for_update(Recall.objects.filter(pk=found.pk)).select_related("lot").get()
        if locked.status != "open":
            raise RuleViolation(_("recall {number} is closed").format(number=locked.number))
        _refuse_open_units(locked)  # a unit may have been reopened meanwhile: check under the lock
        units = [
            recall_unit_record(u)
            for u in locked.units.select_related("aliquot", "shipment", "confirmed_by", "recall")
        ]
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="recall",
            object_id=locked.pk,
            record={
                "action": "close recall",
                "recall": locked.number,
                "lot": locked.lot.number,
                "units": units,
            },
            reason=reason,
        )
        locked.status, locked.closed_by, locked.closed_at = "closed", actor, signature.signed_at
        locked.close_reason, locked.close_signature = reason, signature
        locked.save(update_fields=["status", "closed_by", "closed_at", "close_reason", "close_signature"])
        record_event(
            actor=actor,
            action="recall.close",
            object_type="recall",
            object_id=locked.pk,
            before={"number": locked.number, "status": "open"},
            after={"number": locked.number, "status": "closed", "signature_id": signature.pk},
            reason=reason,
        )
    return locked
