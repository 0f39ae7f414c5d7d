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
