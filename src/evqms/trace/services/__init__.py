"""Writes for trace: QA's actions that take product out of use and follow it until it is contained.
Recalls (a lot, its recipients, its shipped units) in `recalls`, holds on a product, a cell bank or
a material lot in `holds`, controlled disposal of held stock in `disposal`."""

from evqms.trace.services.disposal import destroy_held_units
from evqms.trace.services.holds import (
    downstream_lots,
    hold_lot,
    hold_subject,
    place_hold,
    release_hold,
)
from evqms.trace.services.recalls import (
    RECALLABLE,
    close_recall,
    close_recall_unit,
    recall_lot,
    shipped_items,
)

__all__ = [
    "RECALLABLE",
    "close_recall",
    "close_recall_unit",
    "destroy_held_units",
    "downstream_lots",
    "hold_lot",
    "hold_subject",
    "place_hold",
    "recall_lot",
    "release_hold",
    "shipped_items",
]
