"""{% lot_hold_banner lot %}: the recalls and holds that keep a lot out of use, on any page showing it."""

from __future__ import annotations

from django import template

from evqms.lots.holds import active_holds, excursion_deviations, hold_label

register = template.Library()


@register.inclusion_tag("lots/_hold_banner.html")
def lot_hold_banner(lot, holds=None):
    """`holds`: the lot's active holds when the page has read them already (the lot page); and the
    open deviations from an excursion naming the lot, each linked to its page."""
    return {
        "holds": [
            {
                "source": h.source,
                "recall": h.source_kind == "recall",
                "label": hold_label(h.source, h.source_kind),
                "hold": h,
            }
            for h in (active_holds(lot) if holds is None else holds)
        ],
        "deviations": excursion_deviations(lot),
    }
