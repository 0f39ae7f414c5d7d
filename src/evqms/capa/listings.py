"""The deviation and CAPA lists' columns: what their pages show, sort by and export
(evqms.core.listing)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr, time_value


def _numbers(relation: str):
    def value(row):
        return ", ".join(item.number for item in getattr(row, relation).all())

    return value


def _capa_deviations(row):
    return _numbers("deviations")(row) or row.source_reference


DEVIATIONS = Listing(
    "deviations",
    (
        Column("number", _("Number"), attr("number"), "number"),
        Column("classification", _("Classification"), attr("get_classification_display"), "classification"),
        Column("source", _("Source"), attr("get_source_display"), "source"),
        Column("lots", _("Lots"), _numbers("affected_lots")),
        Column("description", _("Description"), attr("description")),
        Column("status", _("Status"), attr("get_status_display"), "status"),
        Column("opened", _("Opened"), time_value("opened_at"), "opened_at"),
        Column("capa", "CAPA", _numbers("capas")),
    ),
)

CAPAS = Listing(
    "capa",
    (
        Column("number", _("Number"), attr("number"), "number"),
        Column("title", _("Title"), attr("title"), "title"),
        Column("kind", _("Kind"), attr("get_kind_display"), "kind"),
        Column("deviations", _("Deviations"), _capa_deviations),
        Column("open_actions", _("Open actions"), attr("open_actions"), "open_actions"),
        Column("status", _("Status"), attr("get_status_display"), "status"),
        Column("opened", _("Opened"), time_value("created_at"), "created_at"),
    ),
)
