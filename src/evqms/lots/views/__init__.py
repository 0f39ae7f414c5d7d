"""Lot pages: the list, creation, and the lot page (the batch record) with its actions.

Views parse forms, ask the services to act through `evqms.core.views` and show what happened;
every rule lives in the services (`evqms.lots.services`), which check roles again.
"""

from evqms.lots.views.actions import (
    complete_qc,
    deviation_open,
    material_add,
    qc_entry,
    qc_invalidate,
    qc_retest,
    qc_verify,
    reject,
    release,
    set_expiry,
    step_record,
    submit_qc,
)
from evqms.lots.views.pages import lot_create, lot_detail, lot_list, qc_raw_file
from evqms.lots.views.qc_bulk import qc_grid, qc_verify_review, qc_verify_select

__all__ = [
    "complete_qc",
    "deviation_open",
    "lot_create",
    "lot_detail",
    "lot_list",
    "material_add",
    "qc_entry",
    "qc_grid",
    "qc_invalidate",
    "qc_raw_file",
    "qc_retest",
    "qc_verify",
    "qc_verify_review",
    "qc_verify_select",
    "reject",
    "release",
    "set_expiry",
    "step_record",
    "submit_qc",
]
