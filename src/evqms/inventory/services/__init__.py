"""Writes for inventory: locations and temperature excursions, aliquots, holds on stock, distribution
(consignees and shipments), retention samples. Each function checks the role, runs in one transaction
with the rows it changes locked, and writes its audit event in that transaction; a refusal writes
nothing."""

from evqms.inventory.services.aliquots import (
    create_aliquots,
    discard_aliquot,
    mark_administered,
    move_aliquot,
    reserve_aliquot,
    unreserve_aliquot,
)
from evqms.inventory.services.distribution import (
    CONSIGNEE_CODE,
    create_consignee,
    ship_aliquot,
    ship_aliquots,
)
from evqms.inventory.services.excursions import assess_held_aliquot, excursion_holding
from evqms.inventory.services.holds import (
    SHIPPED_OUTCOMES,
    destroy_held_aliquot,
    hold_lot_stock,
    lift_lot_stock_hold,
    record_shipped_unit_outcome,
    refuse_if_held,
)
from evqms.inventory.services.locations import create_location, link_storage_unit, record_excursion
from evqms.inventory.services.retention import (
    DEFAULT_RETENTION,
    record_retention_not_kept,
    record_retention_sample,
    retain_until,
    retention_period,
)
from evqms.inventory.services.stock import lock_aliquots

__all__ = [
    "CONSIGNEE_CODE",
    "DEFAULT_RETENTION",
    "SHIPPED_OUTCOMES",
    "assess_held_aliquot",
    "create_aliquots",
    "create_consignee",
    "create_location",
    "destroy_held_aliquot",
    "discard_aliquot",
    "excursion_holding",
    "hold_lot_stock",
    "lift_lot_stock_hold",
    "link_storage_unit",
    "lock_aliquots",
    "mark_administered",
    "move_aliquot",
    "record_excursion",
    "record_retention_not_kept",
    "record_retention_sample",
    "record_shipped_unit_outcome",
    "refuse_if_held",
    "reserve_aliquot",
    "retain_until",
    "retention_period",
    "ship_aliquot",
    "ship_aliquots",
    "unreserve_aliquot",
]
