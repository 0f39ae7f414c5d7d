"""Writes for lots, one module per part, re-exported here: creation and status (`lots`),
manufacturing records (`manufacturing`), QC results and their rules (`qc`), deviations
(`deviations`), release and rejection (`release`).

Every function takes keyword arguments and an explicit `actor`, checks the actor's role
(`lots/rules.py`), runs in one transaction with the lot row locked, and writes its audit event
(object_type "lot" / "qc_result" / "deviation", object_id = the row's primary key) in that
same transaction. Nothing is deleted: a result is invalidated with a reason, a retest is a new
result linked to the one it repeats.
"""

from __future__ import annotations

from evqms.lots.services.deviations import (
    assess_impact,
    classify_deviation,
    close_deviation,
    name_lots,
    open_deviation,
    record_investigation,
)
from evqms.lots.services.lots import create_lot, mark_expired, set_lot_expiry, submit_to_qc
from evqms.lots.services.manufacturing import record_material_usage, record_step
from evqms.lots.services.qc import (
    QC_OPEN_STATUSES,
    complete_qc,
    evaluate_entry,
    invalidate_qc_result,
    record_qc_result,
    require_qc_entry,
)
from evqms.lots.services.qc_verification import (
    QCVerificationsRefused,
    verification_refusal,
    verify_qc_result,
    verify_qc_results,
)
from evqms.lots.services.release import ReleaseBlocked, prohibited_signers, reject_lot, release_lot

__all__ = [
    "QC_OPEN_STATUSES",
    "QCVerificationsRefused",
    "ReleaseBlocked",
    "assess_impact",
    "classify_deviation",
    "close_deviation",
    "name_lots",
    "record_investigation",
    "complete_qc",
    "create_lot",
    "evaluate_entry",
    "invalidate_qc_result",
    "mark_expired",
    "open_deviation",
    "prohibited_signers",
    "record_material_usage",
    "record_qc_result",
    "record_step",
    "reject_lot",
    "release_lot",
    "require_qc_entry",
    "set_lot_expiry",
    "submit_to_qc",
    "verification_refusal",
    "verify_qc_result",
    "verify_qc_results",
]
