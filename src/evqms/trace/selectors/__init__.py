"""Trace reads: the genealogy (one query per direction, assembled into a lineage graph), recalls and
holds as pages, exports and the API read them, and the stock held under them."""

from evqms.trace.selectors.event_holds import event_hold_candidates, event_holds_by_number
from evqms.trace.selectors.genealogy import (
    KIND_ORDER,
    PATIENT_CODES,
    Node,
    Trace,
    active_holds_for_trace,
    direction_labels,
    hide_patient_codes,
    kind_labels,
    trace,
)
from evqms.trace.selectors.held_stock import (
    destruction_summary,
    destructions,
    hold_held_stock,
    recall_held_stock,
    units_to_hold,
)
from evqms.trace.selectors.holds import hold_detail, hold_list, hold_lots, hold_summary
from evqms.trace.selectors.recalls import (
    dashboard_card,
    recall_contents,
    recall_detail,
    recall_effectiveness,
    recall_list,
    recall_recipients,
    recall_summary,
    recall_units,
)
from evqms.trace.selectors.tasks import tasks_for

__all__ = [
    "KIND_ORDER",
    "PATIENT_CODES",
    "Node",
    "Trace",
    "active_holds_for_trace",
    "dashboard_card",
    "destruction_summary",
    "destructions",
    "direction_labels",
    "event_hold_candidates",
    "event_holds_by_number",
    "hide_patient_codes",
    "hold_detail",
    "hold_held_stock",
    "hold_list",
    "hold_lots",
    "hold_summary",
    "kind_labels",
    "recall_contents",
    "recall_detail",
    "recall_effectiveness",
    "recall_held_stock",
    "recall_list",
    "recall_recipients",
    "recall_summary",
    "recall_units",
    "tasks_for",
    "trace",
    "units_to_hold",
]
