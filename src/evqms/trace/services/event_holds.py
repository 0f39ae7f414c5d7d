"""A hold from an adverse event: the physician or QA who suspects the lot behind an event stops it,
and the siblings they choose from its trace (same cell bank, same material lot), in one signed step.

The hold is an ordinary trace Hold (scope "adverse_event", naming the event): each chosen lot is held
with its stock (lots.LotHold, whose reason starts with the event's number, so the lot's page and the
release gate say why), and QA lifts it like any other hold.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.clinical.models import AdverseEvent
from evqms.core.db import lock_for_update
from evqms.core.numbering import next_number
from evqms.errors import InputError
from evqms.i18n import _
from evqms.lots.models import Lot
from evqms.trace.models import Hold
from evqms.trace.records import hold_record
from evqms.trace.selectors.event_holds import event_hold_candidates
from evqms.trace.services.holds import hold_lot


def _chosen(lots) -> list[str]:
    """The lot numbers asked for, once each, in the order given."""
    if isinstance(lots, str):
        lots = lots.replace(",", " ").split()
    return list(dict.fromkeys(str(n).strip() for n in lots or () if str(n).strip()))


def place_event_hold(
    *, request, actor, adverse_event: AdverseEvent | str, lots, reason: str, password: str
) -> Hold:
    """Hold `lots` (the event's own and siblings from its trace) because of `adverse_event`, signed
    with the actor's password. Every check comes first; a refusal writes nothing."""
    require(actor, "trace.hold_from_event")
    number = adverse_event if isinstance(adverse_event, str) else adverse_event.number
    event = AdverseEvent.objects.filter(number=(number or "").strip()).first()
    if event is None:
        raise InputError(_("no adverse event {number}").format(number=number), where="adverse_event")
    reason = (reason or "").strip()
    chosen = _chosen(lots)
    if not chosen:
        raise InputError(_("choose at least one lot to hold"), where="lots")
    if not reason:
        raise InputError(_("a reason is required to place a hold"), where="reason")
    allowed = event_hold_candidates(event.number).numbers
    outside = [n for n in chosen if n not in allowed]
    if outside:
        raise InputError(
            _("{lots}: not a lot of adverse event {event} nor a sibling in its trace").format(
                lots=", ".join(outside), event=event.number
            ),
            where="lots",
        )
    if not password:
        raise InputError(_("enter your password to sign"), where="password")
    # The password is checked before the transaction: a wrong one is a failed login that must stay recorded.
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        held = list(lock_for_update(Lot.objects.filter(number__in=chosen)).order_by("number"))
        hold = Hold.objects.create(
            number=next_number(Hold, "HD-", width=5),  # a locked counter: no two holds share one
            scope="adverse_event",
            adverse_event=event,
            subject=event.number,
            reason=reason,
            lots=[lot.number for lot in held],
            placed_by=actor,
            placed_at=timezone.now(),
        )
        hold.signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="hold",
            object_id=hold.pk,
            record={**hold_record(hold), "action": "place hold from adverse event"},
            reason=reason,
        )
        hold.save(update_fields=["signature"])
        lot_reason = f"{event.number}: {reason}"
        for lot in held:
            hold_lot(actor, lot, "hold", hold.number, lot_reason, hold.placed_at)
        record_event(
            actor=actor,
            action="hold.place",
            object_type="hold",
            object_id=hold.pk,
            after={**hold_record(hold), "adverse_event": event.number, "signature_id": hold.signature.pk},
            reason=reason,
        )
    return hold
