"""The recall action: a QA reviewer, a reason and the re-entered password mark a lot recalled.

The recipients (every administration of the lot's aliquots, with patient and physician) are
found with the one forward trace query and frozen on the Recall record in the same transaction
as the status change, the audit event and the signature.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.core.db import lock_for_update
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.lots.models import Lot
from evqms.trace.models import Recall
from evqms.trace.selectors import trace

RECALLABLE = ("released", "expired")


def _recipients_json(result) -> list[dict]:
    return [
        {**r, "administered_at": r["administered_at"].isoformat() if r["administered_at"] else None}
        for r in result.recipients()
    ]


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
        previous = locked.status
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
            after={"number": locked.number, "status": "recalled"},
            reason=reason,
        )
        signed = {
            "action": "recall",
            "lot": locked.number,
            "previous_status": previous,
            "reason": reason,
            "recipients": recipients,
        }
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="lot",
            object_id=locked.pk,
            record=signed,
            reason=reason,
        )
        last = Recall.objects.order_by("-id").values_list("id", flat=True).first() or 0
        recall = Recall.objects.create(
            number=f"RC-{last + 1:05d}",
            lot=locked,
            reason=reason,
            previous_status=previous,
            initiated_by=actor,
            initiated_at=timezone.now(),
            signature=signature,
            recipients=recipients,
        )
        record_event(
            actor=actor,
            action="recall.create",
            object_type="recall",
            object_id=recall.pk,
            after={"number": recall.number, "lot": locked.number, "recipients": len(recipients)},
            reason=reason,
        )
    return recall
