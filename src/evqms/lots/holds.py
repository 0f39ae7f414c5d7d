"""Reads on lot holds, for every app that must refuse a held lot (release gate, inventory, clinical).

Holds are placed and lifted by the trace app (recalls and QA holds); this module only answers
"is this lot held, and by what?" so that apps below trace can ask without importing it.
"""

from __future__ import annotations

from evqms.i18n import _
from evqms.lots.models import Deviation, LotHold


def active_holds(lot) -> list[LotHold]:
    """The lot's holds that are not lifted, oldest first."""
    lot_id = lot if isinstance(lot, int) else lot.pk
    return list(LotHold.objects.filter(lot_id=lot_id, released_at__isnull=True).order_by("placed_at", "id"))


# Deviations opened by an excursion: a storage unit's (its stock is held until QA assesses it) or an
# environmental result at action level in the room the lot was made in.
EXCURSION_SOURCES = ("storage", "environment")


def excursion_deviations(lot) -> list[Deviation]:
    """The open deviations from an excursion that name the lot: each keeps it from release (and a
    storage excursion its stock from use) until QA closes it, so the lot's hold banner names them."""
    lot_id = lot if isinstance(lot, int) else lot.pk
    return list(
        Deviation.objects.filter(affected_lots=lot_id, status="open", source__in=EXCURSION_SOURCES).order_by(
            "opened_at", "id"
        )
    )


def active_holds_by_lot(lot_ids) -> dict[int, list[LotHold]]:
    """{lot id: [active holds]} for many lots in one query."""
    out: dict[int, list[LotHold]] = {}
    for hold in LotHold.objects.filter(lot_id__in=list(lot_ids), released_at__isnull=True).order_by(
        "placed_at", "id"
    ):
        out.setdefault(hold.lot_id, []).append(hold)
    return out


def hold_label(source: str, source_kind: str | None = None) -> str:
    """'recall RC-00001', 'hold HD-00001' or 'deviation DEV-00001' (stock held by a storage
    excursion) in the reader's language."""
    if source_kind is None and source.startswith("DEV-"):
        return _("deviation {number}").format(number=source)
    kind = source_kind or ("recall" if source.startswith("RC-") else "hold")
    if kind == "recall":
        return _("recall {number}").format(number=source)
    return _("hold {number}").format(number=source)
