"""Second-person verification of QC results: the rule of who may verify what (one home, read by
the pages to offer the button), one result at a time, and several with one signature."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, write_signature
from evqms.core.db import lock_for_update
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.i18n import _
from evqms.lots.models import Lot, QCResult
from evqms.lots.records import qc_result_signed_record
from evqms.lots.services._common import (
    audited_update,
    locked_lot,
    locked_lots,
    now,
    require_status,
    status_refusal,
)
from evqms.lots.services.qc import QC_OPEN_STATUSES, locked_qc_result


def verification_refusal(actor, *, lot: Lot, analyst: str, status: str, verified: bool) -> str | None:
    """Why `actor` may not verify a QC result of `lot`, or None when they may: the result was
    tested by `analyst` (a username), has `status` ("valid" or "invalidated") and is `verified` or
    not. The service refuses with this reason; the lot page offers the button when it is None."""
    try:
        require(actor, "lots.verify_qc_result")
    except PermissionDenied as exc:
        return str(exc)
    closed = status_refusal(lot, QC_OPEN_STATUSES, _("verify a QC result"))
    if closed:
        return closed
    if analyst == actor.get_username():
        return _("no one verifies their own result: a second person must verify it")
    if status != "valid":
        return _("an invalidated result cannot be verified")
    if verified:
        return _("this result is already verified")
    return None


@transaction.atomic
def verify_qc_result(*, actor, result: QCResult) -> QCResult:
    """Second-person verification: never by the analyst who performed the test."""
    require(actor, "lots.verify_qc_result")
    lot = locked_lot(result.lot)
    require_status(lot, QC_OPEN_STATUSES, _("verify a QC result"))
    result = locked_qc_result(result)
    refusal = verification_refusal(
        actor,
        lot=lot,
        analyst=result.analyst.get_username(),
        status=result.status,
        verified=bool(result.verified_by_id),
    )
    if refusal:
        raise RuleViolation(refusal)
    return audited_update(
        result, actor=actor, action="qc_result.verify", verified_by=actor, verified_at=now()
    )


class QCVerificationsRefused(RuleViolation):
    """`verify_qc_results` verified nothing: `refusals` pairs the id of each result this person may
    not verify with the reason, in the order of the selection."""

    def __init__(self, refusals: list[tuple[int, str]]):
        self.refusals = refusals
        super().__init__("; ".join(why for _id, why in refusals))


def _selected_ids(result_ids) -> list[int]:
    """The selected results' ids, each once, in the order given; refused unless whole numbers."""
    ids: list[int] = []
    for raw in result_ids or ():
        text = str(raw).strip()
        if not text.isdigit() or len(text) > 18:
            raise InputError(_("{value} is not a QC result id").format(value=text or '""'), where="results")
        if int(text) not in ids:
            ids.append(int(text))
    if not ids:
        raise InputError(_("select at least one QC result to verify"), where="results")
    return ids


def _verification_refusals(actor, results: list[QCResult], lots: dict[int, Lot]) -> list[tuple[int, str]]:
    """Why `actor` may not verify each of `results` (the single verification's own rule), naming
    the result by its number, lot and attribute."""
    refusals = []
    for r in results:
        why = verification_refusal(
            actor,
            lot=lots[r.lot_id],
            analyst=r.analyst.get_username(),
            status=r.status,
            verified=bool(r.verified_by_id),
        )
        if why:
            named = _("result #{id} ({lot}, {attribute}): {reason}").format(
                id=r.pk, lot=lots[r.lot_id].number, attribute=r.attribute.code, reason=why
            )
            refusals.append((r.pk, named))
    return refusals


def _selected_results(ids: list[int], *, lock: bool) -> tuple[list[QCResult], dict[int, Lot]]:
    """The selected results (locked, with their lots, when `lock`), in the selection's order; an id
    that names no result is refused."""
    query = QCResult.objects.filter(pk__in=ids).select_related("lot", "attribute", "analyst")
    if lock:
        query = lock_for_update(query.order_by("pk"))
    found = {r.pk: r for r in query}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise InputError(_("no QC result {ids}").format(ids=", ".join(missing)), where="results")
    results = [found[i] for i in ids]
    lots = locked_lots(r.lot for r in results) if lock else {r.lot_id: r.lot for r in results}
    for r in results:
        r.lot = lots[r.lot_id]
    return results, lots


def verify_qc_results(
    *, request, actor, result_ids, password: str, meaning: str = "verification"
) -> list[QCResult]:
    """Second-person verification of several results with one signature act: the password is asked
    once, and each result gets its own verification (verified by and at), its own electronic
    signature with the meaning "verification" over `qc_result_signed_record`, and their audit
    events, all in one transaction. Results of several lots may be verified together.

    Every result is checked by the single verification's rule (`verification_refusal`: the role, the
    lot open for QC, never the analyst's own result, not invalidated, not already verified) before
    the password and again under the locks; if any is refused, `QCVerificationsRefused` names each
    one and nothing is verified. The password is checked outside the transaction: a wrong one
    counts toward the lockout like every other signature.
    """
    require(actor, "lots.verify_qc_result")
    if meaning != "verification":
        raise InputError(
            _('QC results are verified with the meaning "verification", not {meaning}').format(
                meaning=meaning
            ),
            where="meaning",
        )
    ids = _selected_ids(result_ids)
    refusals = _verification_refusals(actor, *_selected_results(ids, lock=False))
    if refusals:
        raise QCVerificationsRefused(refusals)
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        results, lots = _selected_results(ids, lock=True)
        refusals = _verification_refusals(actor, results, lots)  # another person may have been first
        if refusals:
            raise QCVerificationsRefused(refusals)
        for result in results:
            signature = write_signature(
                signer=actor,
                meaning=meaning,
                object_type="qc_result",
                object_id=result.pk,
                record=qc_result_signed_record(result),
            )
            audited_update(
                result,
                actor=actor,
                action="qc_result.verify",
                verified_by=actor,
                verified_at=signature.signed_at,
            )
    return results
