"""The change-request list's columns (evqms.core.listing)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr, time_value

CHANGE_REQUESTS = Listing(
    "change-requests",
    (
        Column("number", _("Number"), attr("number"), "number"),
        Column("kind", _("What changes"), attr("get_kind_display"), "kind"),
        Column("title", _("Title"), attr("title"), "title"),
        Column("product", _("Product"), attr("product_code"), "product_code"),
        Column("status", _("Status"), attr("get_status_display"), "status"),
        Column("opened", _("Opened"), time_value("opened_at"), "opened_at"),
        Column("opened_by", _("Opened by"), attr("opened_by.signature_name"), "opened_by__username"),
    ),
)
