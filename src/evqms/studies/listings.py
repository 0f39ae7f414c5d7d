"""The potency runs' columns on the studies page (evqms.core.listing): the page shows the latest
runs, the export every run, in the order asked for."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr, time_value

POTENCY_RUNS = Listing(
    "potency-runs",
    (
        Column("test_lot", _("Test lot"), attr("test_lot.number"), "test_lot__number"),
        Column("assay", _("Assay"), attr("assay.name"), "assay__name"),
        Column(
            "relative_potency",
            _("Relative potency (%)"),
            attr("relative_potency_pct"),
            "relative_potency_pct",
        ),
        Column("within_acceptance", _("within acceptance"), attr("within_acceptance"), "within_acceptance"),
        Column("tested_at", _("Tested at"), time_value("tested_at"), "tested_at"),
    ),
)
