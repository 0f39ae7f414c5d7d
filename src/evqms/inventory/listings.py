"""The inventory lists' columns (evqms.core.listing): aliquots, shipments, consignees."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from evqms.core.listing import Column, Listing, attr, time_value


def _status_with_hold(row):
    shown = row.get_status_display()
    return f"{shown} ({row.hold_ref})" if row.status == "on_hold" and row.hold_ref else shown


def _consignee_name(row):
    return row.name if row.active else f"{row.name} ({_('inactive')})"


def _contact(row):
    return " / ".join(part for part in (row.contact_name, row.contact_phone, row.contact_email) if part)


ALIQUOTS = Listing(
    "aliquots",
    (
        Column("container", _("Container"), attr("container_id"), "container_id"),
        Column("lot", _("Lot"), attr("lot.number"), "lot__number"),
        Column("volume", _("Volume (mL)"), attr("volume_ml"), "volume_ml"),
        Column("particles", _("Particles"), attr("particle_count"), "particle_count"),
        Column("location", _("Location"), attr("location.code"), "location__code"),
        Column("status", _("Status"), _status_with_hold, "status"),
    ),
)

SHIPMENTS = Listing(
    "shipments",
    (
        Column("number", _("Shipment"), attr("number"), "number"),
        Column("shipped_at", _("Shipped at"), time_value("shipped_at"), "shipped_at"),
        Column("consignee", _("Consignee"), attr("consignee.name"), "consignee__name"),
        Column("site", _("Site"), attr("ship_to_site"), "ship_to_site"),
        Column("units", _("Units"), attr("n_units"), "n_units"),
        Column("shipped_by", _("Shipped by"), attr("shipped_by.signature_name"), "shipped_by__username"),
    ),
)

CONSIGNEES = Listing(
    "consignees",
    (
        Column("code", _("Code"), attr("code"), "code"),
        Column("name", pgettext_lazy("consignee", "Name"), _consignee_name, "name"),
        Column("address", _("Address"), attr("address")),
        Column("site", _("Site"), attr("site"), "site"),
        Column("contact", _("Contact person"), _contact, "contact_name"),
        Column("shipments", _("Shipments"), attr("n_shipments"), "n_shipments"),
    ),
)


def _retained(row):
    if row.lot_id:
        return row.lot.number
    return f"{row.material_lot.material.name} {row.material_lot.lot_number}"


RETENTION_SAMPLES = Listing(
    "retention-samples",
    (
        Column("subject", _("Subject"), _retained, ("lot__number", "material_lot__lot_number")),
        Column("aliquot", _("Aliquot"), attr("aliquot.container_id"), "aliquot__container_id"),
        Column("quantity", _("Quantity"), attr("quantity"), "quantity"),
        Column("retain_until", _("Retain until"), attr("retain_until"), "retain_until"),
        Column("status", _("Status"), attr("get_status_display"), "status"),
        Column("reason", _("Reason"), attr("reason")),
    ),
)


def _occupied(row):
    capacity = row["location"].capacity
    return f"{row['occupied']} / {capacity}" if capacity else row["occupied"]


# The storage tree's order is its meaning (each location under the one it is inside), so it is
# exported in that order and never sorted; the export names each location's parent.
LOCATIONS = Listing(
    "storage-locations",
    (
        Column("code", _("Code"), attr("location.code")),
        Column("inside", _("Inside (code)"), attr("location.parent.code")),
        Column("name", pgettext_lazy("storage location", "Name"), attr("location.name")),
        Column("kind", _("Kind"), attr("location.get_kind_display")),
        Column("temperature", _("Set temperature (°C)"), attr("location.temperature_c")),
        Column("occupied", _("Occupied"), _occupied),
        Column("excursions", _("Temperature excursions"), attr("excursions")),
    ),
    sortable=False,
)
