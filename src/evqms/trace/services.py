"""Recalls and holds: QA's actions that take product out of use and follow it until it is contained.

Recall: a QA reviewer, a reason and the re-entered password mark a lot recalled. In the same
transaction the recipients (every administration of the lot's aliquots, found with the one forward
trace query) are frozen on the Recall, the lot is held (lots.LotHold, source the recall number),
every remaining unit in stock is put on hold, and every shipped unit becomes a RecallUnit that stays
open until someone confirms it was returned, destroyed or administered. QA closes the recall, signed,
only when no unit is open.

Hold: QA stops everything made from a product, a cell bank or a material lot. The lots are those
the forward trace finds (all lots of the product); each is held and its stock too, until QA lifts
the hold with a reason and a signature.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.core.db import lock_for_update
from evqms.core.numbering import next_number
from evqms.dossier.models import CellBank, MaterialLot, Product
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import Aliquot, ShipmentItem
from evqms.inventory.services import (
    SHIPPED_OUTCOMES,
    destroy_held_aliquot,
    hold_lot_stock,
    lift_lot_stock_hold,
    record_shipped_unit_outcome,
)
from evqms.lots.models import Lot, LotHold
from evqms.trace.models import HeldUnitDestruction, Hold, Recall, RecallUnit
from evqms.trace.selectors import trace

RECALLABLE = ("released", "expired")


def _recipients_json(result) -> list[dict]:
    return [
        {**r, "administered_at": r["administered_at"].isoformat() if r["administered_at"] else None}
        for r in result.recipients()
    ]


def _next_number(model, prefix: str) -> str:
    """RC-00001, HD-00001: from a locked counter, so two made at once never get the same number."""
    return next_number(model, f"{prefix}-", width=5)


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


def recall_lot(*, request, actor, lot: Lot | str, reason: str, password: str) -> Recall:
    require(actor, "trace.recall")
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("a reason is required to recall a lot"), where="reason")
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
        recall_number = _next_number(Recall, "RC")
        # Writing lots.Lot from the trace app is agreed for the recall action (issue 5): the status change,
        # its audit event, the signature and the recipient list must commit together or not at all.
        locked.status = "recalled"
        locked.save(update_fields=["status"])
        record_event(
            actor=actor,
            action="lot.recall",
            object_type="lot",
            object_id=locked.pk,
            before={"number": locked.number, "status": previous},
            after={"number": locked.number, "status": "recalled", "recall": recall_number},
            reason=reason,
        )
        signed = {
            "action": "recall",
            "recall": recall_number,
            "lot": locked.number,
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
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="lot",
            object_id=locked.pk,
            record=signed,
            reason=reason,
        )
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
        _hold_lot(actor, locked, "recall", recall.number, reason, now)
        for item in shipped:
            RecallUnit.objects.create(recall=recall, aliquot=item.aliquot, shipment=item.shipment)
        held = Aliquot.objects.filter(lot=locked, status="on_hold", hold_ref=recall.number).count()
        record_event(
            actor=actor,
            action="recall.create",
            object_type="recall",
            object_id=recall.pk,
            after={
                "number": recall.number,
                "lot": locked.number,
                "recipients": len(recipients),
                "shipped_units": len(shipped),
                "units_held": held,
            },
            reason=reason,
        )
    return recall


def _hold_lot(actor, lot: Lot, kind: str, source: str, reason: str, now) -> LotHold:
    """The lot's hold record and its stock on hold (inside the caller's transaction)."""
    hold = LotHold.objects.create(
        lot=lot, source_kind=kind, source=source, reason=reason, placed_by=actor, placed_at=now
    )
    record_event(
        actor=actor,
        action="lot.hold",
        object_type="lot",
        object_id=lot.pk,
        after={"number": lot.number, "hold": source, "kind": kind},
        reason=reason,
    )
    hold_lot_stock(actor=actor, lot=lot, source=source, reason=reason)
    return hold


# --- recall effectiveness -------------------------------------------------------------------


def unit_snapshot(unit: RecallUnit) -> dict:
    return {
        "recall": unit.recall.number,
        "aliquot": unit.aliquot.container_id,
        "shipment": unit.shipment.number,
        "outcome": unit.outcome,
        "confirmed_by": unit.confirmed_by.signature_name() if unit.confirmed_by_id else None,
        "confirmed_at": unit.confirmed_at.isoformat() if unit.confirmed_at else None,
        "note": unit.note,
    }


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
    before = unit_snapshot(unit)
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
        after=unit_snapshot(unit),
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
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        locked = lock_for_update(Recall.objects.filter(pk=found.pk)).select_related("lot").get()
        if locked.status != "open":
            raise RuleViolation(_("recall {number} is closed").format(number=locked.number))
        _refuse_open_units(locked)  # a unit may have been reopened meanwhile: check under the lock
        units = [
            unit_snapshot(u)
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


# --- holds on a product, a cell bank or a material lot ---------------------------------------


def _subject(scope: str, code) -> tuple[object, str]:
    """The held item and its code; InputError naming the field when unknown."""
    if scope not in dict(Hold.SCOPES):
        raise InputError(_("choose a product, a cell bank or a material lot"), where="scope")
    if not isinstance(code, str):
        return code, getattr(code, "lot_number", None) or code.code
    code = code.strip()
    if not code:
        raise InputError(_("a value is required"), where="code")
    model, field = {
        "product": (Product, "code"),
        "cell_bank": (CellBank, "code"),
        "material_lot": (MaterialLot, "lot_number"),
    }[scope]
    found = list(model.objects.filter(**{field: code})[:2])
    if not found:
        raise InputError(
            _("no {kind} {code} was found").format(kind=dict(Hold.SCOPES)[scope], code=code), where="code"
        )
    if len(found) > 1:
        raise InputError(
            _("{code} names {n} material lots: trace the lot that used it instead").format(
                code=code, n=len(found)
            ),
            where="code",
        )
    return found[0], code


def downstream_lots(scope: str, subject) -> list[Lot]:
    """The lots a hold on `subject` covers: every lot of a product, or every lot the forward trace
    finds from a cell bank (its child banks included) or a material lot."""
    if scope == "product":
        return list(Lot.objects.filter(product=subject).order_by("number"))
    code = subject.lot_number if scope == "material_lot" else subject.code
    ids = [n.id for n in trace(scope, code).of("lot")]
    return list(Lot.objects.filter(pk__in=ids).order_by("number"))


def hold_snapshot(hold: Hold) -> dict:
    return {
        "number": hold.number,
        "scope": hold.scope,
        "subject": hold.subject,
        "reason": hold.reason,
        "status": hold.status,
        "lots": list(hold.lots),
        "release_reason": hold.release_reason,
    }


@transaction.atomic
def place_hold(*, actor, scope: str, code, reason: str) -> Hold:
    """QA holds every lot downstream of a product, a cell bank or a material lot, and their stock."""
    require(actor, "trace.hold")
    reason = (reason or "").strip()
    subject, code = _subject(scope, code)
    if not reason:
        raise InputError(_("a reason is required to place a hold"), where="reason")
    lots = list(
        lock_for_update(
            Lot.objects.filter(pk__in=[lot.pk for lot in downstream_lots(scope, subject)])
        ).order_by("number")
    )
    now = timezone.now()
    hold = Hold.objects.create(
        number=_next_number(Hold, "HD"),
        scope=scope,
        product=subject if scope == "product" else None,
        cell_bank=subject if scope == "cell_bank" else None,
        material_lot=subject if scope == "material_lot" else None,
        subject=code,
        reason=reason,
        lots=[lot.number for lot in lots],
        placed_by=actor,
        placed_at=now,
    )
    for lot in lots:
        _hold_lot(actor, lot, "hold", hold.number, reason, now)
    record_event(
        actor=actor,
        action="hold.place",
        object_type="hold",
        object_id=hold.pk,
        after=hold_snapshot(hold),
        reason=reason,
    )
    return hold


def release_hold(*, request, actor, hold: Hold | str, reason: str, password: str) -> Hold:
    """QA lifts a hold, with a reason and a signature: each lot it held is released from it, and its
    units return to use unless another hold or a recall still holds the lot."""
    require(actor, "trace.hold")
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("a reason is required to lift a hold"), where="reason")
    number = hold if isinstance(hold, str) else hold.number
    found = Hold.objects.filter(number=number).first()
    if found is None:
        raise InputError(_("unknown hold {number}").format(number=number), where="hold")
    if found.status != "active":
        raise RuleViolation(_("hold {number} is already lifted").format(number=found.number))
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        locked = lock_for_update(Hold.objects.filter(pk=found.pk)).get()
        if locked.status != "active":
            raise RuleViolation(_("hold {number} is already lifted").format(number=locked.number))
        before = hold_snapshot(locked)
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="hold",
            object_id=locked.pk,
            record={**before, "action": "release hold", "release_reason": reason},
            reason=reason,
        )
        now = signature.signed_at
        for lot_hold in lock_for_update(
            LotHold.objects.filter(source=locked.number, released_at__isnull=True)
        ).select_related("lot"):
            lot_hold.released_by, lot_hold.released_at, lot_hold.release_reason = actor, now, reason
            lot_hold.save(update_fields=["released_by", "released_at", "release_reason"])
            record_event(
                actor=actor,
                action="lot.hold_release",
                object_type="lot",
                object_id=lot_hold.lot_id,
                before={"number": lot_hold.lot.number, "hold": locked.number, "active": True},
                after={"number": lot_hold.lot.number, "hold": locked.number, "active": False},
                reason=reason,
            )
            lift_lot_stock_hold(actor=actor, lot=lot_hold.lot, source=locked.number, reason=reason)
        locked.status, locked.released_by, locked.released_at = "released", actor, now
        locked.release_reason, locked.release_signature = reason, signature
        locked.save(
            update_fields=["status", "released_by", "released_at", "release_reason", "release_signature"]
        )
        record_event(
            actor=actor,
            action="hold.release",
            object_type="hold",
            object_id=locked.pk,
            before=before,
            after={**hold_snapshot(locked), "signature_id": signature.pk},
            reason=reason,
        )
    return locked


# --- controlled disposal of held stock ---------------------------------------------------------


def _source(source) -> Recall | Hold:
    """The recall or hold (object or number) whose held units are to be destroyed."""
    if isinstance(source, (Recall, Hold)):
        return source
    number = (source or "").strip()
    found = Recall.objects.filter(number=number).first() or Hold.objects.filter(number=number).first()
    if found is None:
        raise InputError(_("unknown recall or hold {number}").format(number=number), where="source")
    return found


def _held_units(found: Recall | Hold, codes: list[str], *, lock: bool) -> list[Aliquot]:
    """The named units, each in stock on hold under `found` (its lot held by it); else a refusal naming
    the unit. With `lock`, the rows are locked for the caller's transaction."""
    from evqms.inventory.services import lock_aliquots

    lots = {found.lot.number} if isinstance(found, Recall) else set(found.lots)
    queryset = Aliquot.objects.filter(container_id__in=codes)
    if lock:
        queryset = lock_aliquots(queryset)
    by_code = {a.container_id: a for a in queryset.select_related("lot", "location")}
    holding = set(
        LotHold.objects.filter(source=found.number, released_at__isnull=True).values_list(
            "lot__number", flat=True
        )
    )
    units = []
    for code in codes:
        aliquot = by_code.get(code)
        if aliquot is None:
            raise InputError(_("unknown aliquot {code}").format(code=code), where="aliquots")
        if aliquot.lot.number not in lots or aliquot.lot.number not in holding or aliquot.status != "on_hold":
            raise RuleViolation(
                _("aliquot {code} is not a unit in stock on hold under {source}").format(
                    code=code, source=found.number
                )
            )
        units.append(aliquot)
    return units


def destroy_held_units(
    *, request, actor, source: Recall | Hold | str, aliquots: list[str], reason: str, password: str
) -> list[HeldUnitDestruction]:
    """QA destroys units kept in-house on hold under a recall or a hold (controlled disposal), with a
    reason and a signature (meaning: approval). Each unit leaves stock as discarded and is listed on
    the recall's or hold's page as destroyed; the lot stays held. Nothing is destroyed if one unit is
    refused."""
    require(actor, "trace.destroy_held")
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("a reason is required to destroy held units"), where="reason")
    codes = list(dict.fromkeys(c.strip() for c in (aliquots or []) if c and c.strip()))
    if not codes:
        raise InputError(_("choose at least one unit to destroy"), where="aliquots")
    found = _source(source)
    if isinstance(found, Hold) and found.status != "active":
        raise RuleViolation(_("hold {number} is already lifted").format(number=found.number))
    _held_units(found, codes, lock=False)  # refuse before asking for the signature
    check_signing_password(request=request, signer=actor, password=password)
    kind = "recall" if isinstance(found, Recall) else "hold"
    with transaction.atomic():
        locked = lock_for_update(type(found).objects.filter(pk=found.pk)).get()
        if kind == "hold" and locked.status != "active":
            raise RuleViolation(_("hold {number} is already lifted").format(number=locked.number))
        units = _held_units(locked, codes, lock=True)
        record = {
            "action": "destroy held units",
            kind: locked.number,
            "units": [
                {
                    "aliquot": a.container_id,
                    "lot": a.lot.number,
                    "location": a.location.code if a.location_id else None,
                }
                for a in units
            ],
            "reason": reason,
        }
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type=kind,
            object_id=locked.pk,
            record=record,
            reason=reason,
        )
        done = []
        for aliquot, row in zip(units, record["units"], strict=True):
            destroy_held_aliquot(actor=actor, aliquot=aliquot, source=locked.number, reason=reason)
            done.append(
                HeldUnitDestruction.objects.create(
                    recall=locked if kind == "recall" else None,
                    hold=locked if kind == "hold" else None,
                    aliquot=aliquot,
                    location=row["location"] or "",
                    reason=reason,
                    destroyed_by=actor,
                    destroyed_at=signature.signed_at,
                    signature=signature,
                )
            )
        record_event(
            actor=actor,
            action=f"{kind}.destroy_units",
            object_type=kind,
            object_id=locked.pk,
            after={**record, "signature_id": signature.pk},
            reason=reason,
        )
    return done
