"""Holds as pages and the API read them: the lots a hold covers, the list of holds, one hold."""

from __future__ import annotations

from django.db.models import Count, Q

from evqms.core.timefmt import iso_local
from evqms.lots.models import LotHold
from evqms.trace.models import Hold
from evqms.trace.selectors.held_stock import destruction_summary, destructions, hold_held_stock


def hold_lots(hold) -> list[dict]:
    """The lots a hold covers, each with its hold record and how many of its units are held now."""
    rows = []
    for lot_hold in (
        LotHold.objects.filter(source=hold.number)
        .select_related("lot")
        .annotate(units_held=Count("lot__aliquots", filter=Q(lot__aliquots__hold_ref=hold.number)))
        .order_by("lot__number")
    ):
        rows.append({"lot": lot_hold.lot, "record": lot_hold, "units_held": lot_hold.units_held})
    return rows


def hold_list(*, status: str | None = None):
    queryset = Hold.objects.select_related("placed_by")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-placed_at", "-id")


def hold_summary(hold) -> dict:
    """One hold in a list (times local with their offset)."""
    return {
        "number": hold.number,
        "scope": hold.scope,
        "subject": hold.subject,
        "status": hold.status,
        "status_text": str(hold.get_status_display()),
        "reason": hold.reason,
        "lots": list(hold.lots),
        "placed_by": hold.placed_by.signature_name(),
        "placed_at": iso_local(hold.placed_at),
        "lifted_at": iso_local(hold.released_at) or None,
        "lift_reason": hold.release_reason,
    }


def hold_detail(hold) -> dict:
    """Everything a hold's page shows, as JSON-ready data: its summary, the units in stock on hold and
    those destroyed in-house."""
    return {
        **hold_summary(hold),
        "held_stock": [
            {
                "aliquot": a.container_id,
                "lot": a.lot.number,
                "location": a.location.code if a.location_id else None,
            }
            for a in hold_held_stock(hold)
        ],
        "destroyed": [destruction_summary(d) for d in destructions(hold)],
    }
