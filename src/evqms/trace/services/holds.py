"""Holds on a product, a cell bank or a material lot: QA stops everything made from it. The lots are
those the forward trace finds (all lots of the product); each is held and its stock too, until QA
lifts the hold with a reason and a signature. `hold_lot` is also how a recall holds its lot."""

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
from evqms.inventory.services.holds import hold_lot_stock, lift_lot_stock_hold
from evqms.lots.models import Lot, LotHold
from evqms.trace.models import Hold
from evqms.trace.records import hold_record
from evqms.trace.selectors.genealogy import trace


def hold_lot(actor, lot: Lot, kind: str, source: str, reason: str, now) -> LotHold:
    """The lot's hold record and its stock on hold, under `source` (a recall or hold number of `kind`
    "recall" or "hold"), inside the caller's transaction."""
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


# What a hold on everything downstream can be placed on (a hold from an adverse event names its
# lots one by one: services/event_holds.py).
DOWNSTREAM_SCOPES = ("product", "cell_bank", "material_lot")


def hold_subject(scope: str, code) -> tuple[object, str]:
    """The held item and its code; InputError naming the field when unknown."""
    if scope not in DOWNSTREAM_SCOPES:
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


@transaction.atomic
def place_hold(*, actor, scope: str, code, reason: str) -> Hold:
    """QA holds every lot downstream of a product, a cell bank or a material lot, and their stock."""
    require(actor, "trace.hold")
    reason = (reason or "").strip()
    subject, code = hold_subject(scope, code)
    if not reason:
        raise InputError(_("a reason is required to place a hold"), where="reason")
    lots = list(
        lock_for_update(
            Lot.objects.filter(pk__in=[lot.pk for lot in downstream_lots(scope, subject)])
        ).order_by("number")
    )
    now = timezone.now()
    hold = Hold.objects.create(
        number=next_number(Hold, "HD-", width=5),  # a locked counter: no two holds share one
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
        hold_lot(actor, lot, "hold", hold.number, reason, now)
    record_event(
        actor=actor,
        action="hold.place",
        object_type="hold",
        object_id=hold.pk,
        after=hold_record(hold),
        reason=reason,
    )
    return hold


def _release_lot_holds(actor, hold: Hold, reason: str, now) -> None:
    """Each lot `hold` holds is released from it; its units return to use unless another hold or a
    recall still holds the lot. Inside the caller's transaction."""
    for lot_hold in lock_for_update(
        LotHold.objects.filter(source=hold.number, released_at__isnull=True)
    ).select_related("lot"):
        lot_hold.released_by, lot_hold.released_at, lot_hold.release_reason = actor, now, reason
        lot_hold.save(update_fields=["released_by", "released_at", "release_reason"])
        record_event(
            actor=actor,
            action="lot.hold_release",
            object_type="lot",
            object_id=lot_hold.lot_id,
            before={"number": lot_hold.lot.number, "hold": hold.number, "active": True},
            after={"number": lot_hold.lot.number, "hold": hold.number, "active": False},
            reason=reason,
        )
        lift_lot_stock_hold(actor=actor, lot=lot_hold.lot, source=hold.number, reason=reason)


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
    # The password is checked before the transaction: a wrong one is a failed login that must stay recorded.
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        locked = lock_for_update(Hold.objects.filter(pk=found.pk)).get()
        if locked.status != "active":
            raise RuleViolation(_("hold {number} is already lifted").format(number=locked.number))
        before = hold_record(locked)
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="hold",
            object_id=locked.pk,
            record={**before, "action": "release hold", "release_reason": reason},
            reason=reason,
        )
        now = signature.signed_at
        _release_lot_holds(actor, locked, reason, now)
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
            after={**hold_record(locked), "signature_id": signature.pk},
            reason=reason,
        )
    return locked
