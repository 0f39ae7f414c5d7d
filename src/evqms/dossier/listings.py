"""The product list's columns: what its page shows, sorts by and exports (evqms.core.listing)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr
from evqms.dossier.models import ROUTES


def _routes(row) -> str:
    names = dict(ROUTES)
    return ", ".join(str(names.get(r, r)) for r in row.routes or [])


PRODUCTS = Listing(
    "products",
    (
        Column("code", _("code"), attr("code"), "code"),
        Column("name", _("name"), attr("name"), "name"),
        Column("ev_type", _("EV type"), attr("get_ev_type_display"), "ev_type"),
        Column("source", _("source cell type"), attr("get_source_cell_type_display"), "source_cell_type"),
        Column("origin", _("autologous or allogeneic"), attr("get_origin_display"), "origin"),
        Column("routes", _("routes"), _routes),
        Column(
            "physician",
            _("responsible physician"),
            attr("responsible_physician.signature_name"),
            "responsible_physician__username",
        ),
        Column("processes", _("Process versions"), attr("n_process"), "n_process"),
        Column("specifications", _("Specification versions"), attr("n_spec"), "n_spec"),
    ),
)
