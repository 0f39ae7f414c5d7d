"""Stock under a recall or a QA hold: every stock action refuses a held unit; the recall's or hold's
own transaction puts a lot's units on hold, lifts them, destroys them or closes a shipped unit."""

from __future__ import annotations

from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import HOLDABLE, Aliquot
from evqms.inventory.selectors import held_by
from evqms.inventory.services.stock import (
    change_aliquot,
    leave_storage,
    lock_aliquots,
    locked_aliquot,
    require_transaction,
)
from evqms.lots.holds import active_holds, hold_label
from evqms.lots.models import Lot

SHIPPED_OUTCOMES = ("returned", "destroyed", "administered")


def refuse_if_held(aliquot: Aliquot, action: str) -> None:
    """RuleViolation naming the recall or hold when `aliquot` is held; `action` is ship, reserve,
    administer, discard, retain or release (back to use)."""
    source = held_by(aliquot)
    if source is None:
        return
    messages = {
        "ship": _("aliquot {code} is on hold under {hold}: it cannot be shipped"),
        "reserve": _("aliquot {code} is on hold under {hold}: it cannot be reserved"),
        "administer": _("aliquot {code} is on hold under {hold}: it cannot be administered"),
        "discard": _("aliquot {code} is on hold under {hold}: it cannot be discarded"),
        "retain": _("aliquot {code} is on hold under {hold}: it cannot become a retention sample"),
        "release": _("aliquot {code} is on hold under {hold}: it cannot be returned to use"),
    }
    raise RuleViolation(messages[action].format(code=aliquot.container_id, hold=hold_label(source)))


def hold_lot_stock(*, actor, lot: Lot, source: str, reason: str) -> list[Aliquot]:
    """Put every available or reserved aliquot of `lot` on hold under `source` (a recall or hold
    number). Runs inside the caller's transaction (the recall or hold), with the rows locked."""
    require_transaction("hold_lot_stock", "recall's or hold's")
    held = []
    for aliquot in lock_aliquots(Aliquot.objects.filter(lot=lot, status__in=HOLDABLE)).select_related(
        "lot", "location"
    ):
        change_aliquot(
            actor,
            aliquot,
            "aliquot.hold",
            reason,
            held_status=aliquot.status,
            status="on_hold",
            hold_ref=source,
        )
        held.append(aliquot)
    return held


def lift_lot_stock_hold(*, actor, lot: Lot, source: str, reason: str) -> list[Aliquot]:
    """After the lot hold `source` is lifted: its units go back to the status they had, unless another
    active hold still holds the lot (then they stay on hold under that one). Inside the caller's
    transaction."""
    require_transaction("lift_lot_stock_hold", "hold's")
    remaining = [h for h in active_holds(lot) if h.source != source]
    changed = []
    for aliquot in lock_aliquots(
        Aliquot.objects.filter(lot=lot, status="on_hold", hold_ref=source)
    ).select_related("lot", "location"):
        if remaining:
            fields = {"hold_ref": remaining[0].source}
        else:
            back = aliquot.held_status if aliquot.held_status in HOLDABLE else "available"
            fields = {"status": back, "hold_ref": "", "held_status": ""}
        changed.append(change_aliquot(actor, aliquot, "aliquot.hold_lift", reason, **fields))
    return changed


def destroy_held_aliquot(*, actor, aliquot: Aliquot, source: str, reason: str) -> Aliquot:
    """Controlled disposal of a unit held under `source` (a recall or hold number), decided and signed
    by QA in the caller's transaction (trace's destroy_held_units). The unit leaves storage as
    discarded; the ordinary discard keeps refusing a held unit."""
    require_transaction("destroy_held_aliquot", "recall's or hold's")
    if aliquot.status != "on_hold":
        raise RuleViolation(
            _("aliquot {code} is {status}: only a unit on hold is destroyed this way").format(
                code=aliquot.container_id, status=aliquot.get_status_display()
            )
        )
    return leave_storage(
        actor,
        aliquot,
        "discarded",
        reason,
        "aliquot.destroy_held",
        reason=_("destroyed under {hold}: {reason}").format(hold=hold_label(source), reason=reason),
        hold_ref="",
        held_status="",
    )


def record_shipped_unit_outcome(*, actor, aliquot: Aliquot, outcome: str, source: str, note: str) -> Aliquot:
    """What became of a shipped unit under a recall: returned (back in, on hold under the recall),
    destroyed at the consignee (discarded) or administered there. Inside the recall's transaction."""
    require_transaction("record_shipped_unit_outcome", "recall's")
    if outcome not in SHIPPED_OUTCOMES:
        raise InputError(_("unknown outcome {outcome}").format(outcome=outcome), where="outcome")
    aliquot = locked_aliquot(aliquot)
    if aliquot.status != "shipped":
        raise RuleViolation(
            _("aliquot {code} is {status}: only a shipped unit is closed this way").format(
                code=aliquot.container_id, status=aliquot.get_status_display()
            )
        )
    fields = {
        "returned": {"status": "on_hold", "hold_ref": source, "held_status": ""},
        "destroyed": {"status": "discarded"},
        "administered": {"status": "administered"},
    }[outcome]
    return change_aliquot(actor, aliquot, f"aliquot.recall_{outcome}", note, **fields)
