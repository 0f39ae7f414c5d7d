"""Reads for lots: lists and the whole story of one lot (`lots`), the QC results that stand
(`qc`), the release gate and checklist with the approved shelf life (`release`), and the dashboard
card. The public names are importable from here, as pages, exports and other areas use them."""

from evqms.lots.selectors.lots import (
    LotDetail,
    dashboard_card,
    get_lot,
    lot_detail,
    lot_detail_read,
    lot_list,
)
from evqms.lots.selectors.qc import PASSING, current_results, result_row, results_selected, results_to_verify
from evqms.lots.selectors.release import (
    CheckItem,
    GateProblem,
    ShelfLife,
    add_months,
    approved_shelf_life,
    product_shelf_life,
    release_checklist,
    release_gate,
)
from evqms.lots.selectors.tasks import tasks_for

__all__ = [
    "PASSING",
    "CheckItem",
    "GateProblem",
    "LotDetail",
    "ShelfLife",
    "add_months",
    "approved_shelf_life",
    "current_results",
    "dashboard_card",
    "get_lot",
    "lot_detail",
    "lot_detail_read",
    "lot_list",
    "product_shelf_life",
    "release_checklist",
    "release_gate",
    "result_row",
    "results_selected",
    "results_to_verify",
    "tasks_for",
]
