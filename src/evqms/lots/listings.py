"""The lot list's columns: what its page shows, sorts by and exports (evqms.core.listing)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr


def _version(path: str):
    read = attr(path)

    def value(row):
        version = read(row)
        return "" if version is None else f"v{version}"

    return value


LOTS = Listing(
    "lots",
    (
        Column("number", _("Lot number"), attr("number"), "number"),
        Column("product", _("Product"), attr("product.code"), "product__code"),
        Column("process", _("Process"), _version("process.version"), "process__version"),
        Column(
            "specification", _("Specification"), _version("specification.version"), "specification__version"
        ),
        Column("cell_bank", _("Cell bank"), attr("cell_bank.code"), "cell_bank__code"),
        Column("manufactured_on", _("Manufactured on"), attr("manufactured_on"), "manufactured_on"),
        Column("expiry", _("Expiry"), attr("expiry"), "expiry"),
        Column("status", _("Status"), attr("get_status_display"), "status"),
        Column("open_deviations", _("Open deviations"), attr("open_deviations"), "open_deviations"),
    ),
)
