"""Disposition of a lot: release and rejection, each with an electronic signature over the
lot's release record, never by someone who made, tested or verified the lot."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.errors import RuleViolation
from evqms.i18n import _
from evqms.lots.models import Lot, MaterialUsage, QCResult, StepRecord
from evqms.lots.records import lot_record, lot_release_record
from evqms.lots.services._common import locked_lot, require_status, required_text


class ReleaseBlocked(RuleViolation):
    """The release gate found problems; `problems` lists them (each with a code and a message)."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(p.text for p in self.problems))


def prohibited_signers(lot: Lot) -> list[tuple[int, str]]:
    """Who may not release or reject the lot: no one disposes of a lot they made or tested."""
    made = _("you created this lot: another person must sign its disposition")
    worked = _("you recorded manufacturing of this lot: another person must sign its disposition")
    tested = _("you tested this lot: another person must sign its disposition")
    out = [(lot.created_by_id, made)]
    out += [(uid, worked) for uid in StepRecord.objects.filter(lot=lot).values_list("operator_id", flat=True)]
    out += [
        (uid, worked)
        for uid in MaterialUsage.objects.filter(lot=lot).values_list("recorded_by_id", flat=True)
    ]
    out += [(uid, tested) for uid in QCResult.objects.filter(lot=lot).values_list("analyst_id", flat=True)]
    # The second-person check of the QC data and the disposition are separate duties (QA independent of
    # QC): someone who verified this lot's results, even holding the QA role too, does not also release it.
    verified = _("you verified this lot's QC results: another person must sign its disposition")
    out += [
        (uid, verified)
        for uid in QCResult.objects.filter(lot=lot, verified_by__isnull=False).values_list(
            "verified_by_id", flat=True
        )
    ]
    seen, unique = set(), []
    for uid, why in out:
        if uid not in seen:
            seen.add(uid)
            unique.append((uid, why))
    return unique


def _refuse_if_prohibited(actor, lot: Lot) -> None:
    for uid, why in prohibited_signers(lot):
        if uid == actor.pk:
            raise RuleViolation(why)


def release_lot(*, request, actor, lot: Lot, password: str, reason: str = "") -> Lot:
    """QA release with an electronic signature over the lot's release record (`lot_release_record`).

    The password is checked first, outside the transaction (a wrong one must stay counted by the
    lockout); then, with the lot row locked, the release gate is checked again, so of two people
    releasing the same lot at once exactly one succeeds.
    """
    from evqms.lots.selectors import release_gate

    require(actor, "lots.release_lot")
    check_signing_password(
        request=request, signer=actor, password=password, prohibited=prohibited_signers(lot)
    )
    with transaction.atomic():
        locked = locked_lot(lot)
        _refuse_if_prohibited(actor, locked)
        problems = release_gate(locked)
        if problems:
            raise ReleaseBlocked(problems)
        before = lot_record(locked)
        signature = write_signature(
            signer=actor,
            meaning="release",
            object_type="lot",
            object_id=locked.pk,
            record=lot_release_record(locked),
            reason=reason or "",
        )
        locked.status = "released"
        locked.released_at = signature.signed_at
        locked.release_signature = signature
        locked.save(update_fields=["status", "released_at", "release_signature"])
        record_event(
            actor=actor,
            action="lot.release",
            object_type="lot",
            object_id=locked.pk,
            before=before,
            after={**lot_record(locked), "signature_id": signature.pk},
            reason=reason or "",
        )
    return locked


def reject_lot(*, request, actor, lot: Lot, password: str, reason: str) -> Lot:
    """QA rejection with an electronic signature (meaning "rejection"); a reason is required."""

    require(actor, "lots.reject_lot")
    reason = required_text(reason, "reason", _("a reason is required to reject a lot"))
    check_signing_password(
        request=request, signer=actor, password=password, prohibited=prohibited_signers(lot)
    )
    with transaction.atomic():
        locked = locked_lot(lot)
        _refuse_if_prohibited(actor, locked)
        require_status(locked, ("in_process", "qc", "quarantine"), _("reject it"))
        before = lot_record(locked)
        signature = write_signature(
            signer=actor,
            meaning="rejection",
            object_type="lot",
            object_id=locked.pk,
            record=lot_release_record(locked),
            reason=reason,
        )
        locked.status = "rejected"
        locked.save(update_fields=["status"])
        record_event(
            actor=actor,
            action="lot.reject",
            object_type="lot",
            object_id=locked.pk,
            before=before,
            after={**lot_record(locked), "signature_id": signature.pk},
            reason=reason,
        )
    return locked
