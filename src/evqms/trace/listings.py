"""The trace page's two lists (evqms.core.listing): recalls, and holds (their own `holds-sort` and
`holds-format` parameters, so each list sorts and exports on its own)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr, time_value

RECALLS = Listing(
    "recalls",
    (
        Column("number", _("Recall"), attr("number"), "number"),
        Column("lot", _("Lot"), attr("lot.number"), "lot__number"),
        Column("initiated_at", _("Initiated at"), time_value("initiated_at"), "initiated_at"),
        Column("status", _("Status"), attr("get_status_display"), "status"),
        Column("open", _("Shipped units still open"), attr("n_open"), "n_open"),
        Column("units", _("Shipped units"), attr("n_units"), "n_units"),
    ),
)

HOLDS = Listing(
    "holds",
    (
        Column("number", _("Hold"), attr("number"), "number"),
        Column("scope", _("Held item"), attr("get_scope_display"), "scope"),
        Column("subject", _("Code"), attr("subject"), "subject"),
        Column("lots", _("Lots held"), attr("lots")),
        Column("placed_at", _("Placed at"), time_value("placed_at"), "placed_at"),
        Column("status", _("Status"), attr("get_status_display"), "status"),
    ),
    prefix="holds-",
)
