"""Stock held under a recall or a hold: the units in storage on hold, those a recall would hold, and
those destroyed in-house (controlled disposal)."""

from __future__ import annotations

from evqms.core.timefmt import iso_local
from evqms.inventory.models import HOLDABLE, Aliquot


def recall_held_stock(recall):
    """The lot's units in stock on hold (their location is where they are segregated)."""
    return (
        Aliquot.objects.filter(lot_id=recall.lot_id, status="on_hold")
        .select_related("location", "lot")
        .order_by("container_id")
    )


def hold_held_stock(hold):
    """The units in stock on hold in the lots an active hold holds (a unit held by a recall of the same
    lot too is listed: either may destroy it)."""
    if hold.status != "active":
        return Aliquot.objects.none()
    return (
        Aliquot.objects.filter(status="on_hold", lot__number__in=list(hold.lots))
        .select_related("location", "lot")
        .order_by("container_id")
    )


def units_to_hold(lot) -> list:
    """The lot's units a recall would put on hold now (available or reserved), for the recall form."""
    return list(Aliquot.objects.filter(lot=lot, status__in=HOLDABLE).order_by("container_id"))


def destructions(source):
    """The held units destroyed in-house under a recall or a hold, with who signed and when."""
    return source.destructions.select_related("aliquot", "destroyed_by", "signature").order_by(
        "destroyed_at", "aliquot__container_id"
    )


def destruction_summary(d) -> dict:
    """One destroyed unit in a recall's or hold's detail (the API, `evqms trace recall-show`)."""
    return {
        "aliquot": d.aliquot.container_id,
        "location": d.location or None,
        "destroyed_at": iso_local(d.destroyed_at),
        "destroyed_by": d.signature.printed_name,
        "reason": d.reason,
    }
