"""Disposition of a lot: release and rejection, each with an electronic signature over the
lot's release record, never by someone who made, tested or verified the lot."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.core.inputs import required_text
from evqms.errors import RuleViolation
from evqms.i18n import _
from evqms.lots.models import Lot, MaterialUsage, QCResult, StepRecord
from evqms.lots.records import lot_record, lot_release_record
from evqms.lots.services._common import locked_lot, require_status


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


def _check_signer(request, actor, lot: Lot, password: str) -> None:
    """The signer's password, checked outside the transaction: a wrong one must stay counted by
    the lockout; no one signs the disposition of a lot they made, tested or verified."""
    check_signing_password(
        request=request, signer=actor, password=password, prohibited=prohibited_signers(lot)
    )


def _locked_for_disposition(actor, lot: Lot) -> Lot:
    """The lot row locked, and the separation of duties checked again under the lock."""
    locked = locked_lot(lot)
    for uid, why in prohibited_signers(locked):
        if uid == actor.pk:
            raise RuleViolation(why)
    return locked


def _sign_disposition(*, actor, lot: Lot, meaning: str, status: str, action: str, reason: str) -> Lot:
    """Sign the lot's release record with `meaning`, give the lot `status` (a release also keeps
    the signature and its time on the lot) and audit both, in the caller's transaction."""
    before = lot_record(lot)
    signature = write_signature(
        signer=actor,
        meaning=meaning,
        object_type="lot",
        object_id=lot.pk,
        record=lot_release_record(lot),
        reason=reason,
    )
    lot.status = status
    changed = ["status"]
    if meaning == "release":
        lot.released_at = signature.signed_at
        lot.release_signature = signature
        changed += ["released_at", "release_signature"]
    lot.save(update_fields=changed)
    record_event(
        actor=actor,
        action=action,
        object_type="lot",
        object_id=lot.pk,
        before=before,
        after={**lot_record(lot), "signature_id": signature.pk},
        reason=reason,
    )
    return lot


def release_lot(*, request, actor, lot: Lot, password: str, reason: str = "") -> Lot:
    """QA release with an electronic signature over the lot's release record (`lot_release_record`).

    The password is checked first, outside the transaction (a wrong one must stay counted by the
    lockout); then, with the lot row locked, the release gate is checked again, so of two people
    releasing the same lot at once exactly one succeeds.
    """
    from evqms.lots.selectors import release_gate

    require(actor, "lots.release_lot")
    _check_signer(request, actor, lot, password)
    with transaction.atomic():
        locked = _locked_for_disposition(actor, lot)
        problems = release_gate(locked)
        if problems:
            raise ReleaseBlocked(problems)
        return _sign_disposition(
            actor=actor,
            lot=locked,
            meaning="release",
            status="released",
            action="lot.release",
            reason=reason or "",
        )


def reject_lot(*, request, actor, lot: Lot, password: str, reason: str) -> Lot:
    """QA rejection with an electronic signature (meaning "rejection"); a reason is required."""
    require(actor, "lots.reject_lot")
    reason = required_text(reason, "reason", _("a reason is required to reject a lot"))
    _check_signer(request, actor, lot, password)
    with transaction.atomic():
        locked = _locked_for_disposition(actor, lot)
        require_status(locked, ("in_process", "qc", "quarantine"), _("reject it"))
        return _sign_disposition(
            actor=actor,
            lot=locked,
            meaning="rejection",
            status="rejected",
            action="lot.reject",
            reason=reason,
        )
