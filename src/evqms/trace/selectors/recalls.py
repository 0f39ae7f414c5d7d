"""Recalls as pages, exports, the API and `evqms trace recalls` / `recall-show` read them: everyone
who received the lot, the follow-up of its shipped units, the list of recalls and the dashboard card."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from evqms.core.db import counts
from evqms.core.timefmt import for_json, iso_local, to_local
from evqms.i18n import _
from evqms.trace.models import Hold, Recall, RecallUnit
from evqms.trace.selectors.held_stock import destruction_summary, destructions, recall_held_stock


def recall_recipients(recall, *, patient_codes: bool = True, units=None) -> list[dict]:
    """Everyone who received the recalled lot, in time order: each administration (as frozen when the
    recall was signed) and each shipped unit (with its consignee, address and what became of it).

    One dict per row: kind ("administration" | "shipment"), reference, at (aware datetime), recipient
    (patient code or consignee name), place (site or address), contact (physician or contact person),
    aliquots, route, outcome (code) and outcome_text, confirmed_by, confirmed_at, note.
    Without `patient_codes` an administration's recipient is only "patient (code not shown)".
    `units`: the recall's `recall_units`, when the caller has read them already."""

    rows = []
    for r in recall.recipients:
        rows.append(
            {
                "kind": "administration",
                "kind_text": _("Administration"),
                "reference": r["administration"],
                "at": to_local(r["administered_at"]) if r.get("administered_at") else None,
                "recipient": r["patient"] if patient_codes else _("patient (code not shown)"),
                "place": "",
                "contact": r["physician"],
                "aliquots": list(r["aliquots"]),
                "route": r.get("route") or "",
                "outcome": "administered",
                "outcome_text": _("Administered"),
                "confirmed_by": "",
                "confirmed_at": None,
                "note": "",
            }
        )
    outcomes = dict(RecallUnit.OUTCOMES)
    for unit in recall_units(recall) if units is None else units:
        shipment = unit.shipment
        place = ", ".join(
            x for x in (shipment.ship_to_site, shipment.ship_to_address.replace("\n", " ")) if x
        )
        rows.append(
            {
                "kind": "shipment",
                "kind_text": _("Shipment"),
                "reference": shipment.number,
                "at": to_local(shipment.shipped_at),
                "recipient": shipment.consignee.name,
                "place": place,
                "contact": shipment.contact_name,
                "aliquots": [unit.aliquot.container_id],
                "route": "",
                "outcome": unit.outcome,
                "outcome_text": str(outcomes[unit.outcome]),
                "confirmed_by": unit.confirmed_by.signature_name() if unit.confirmed_by_id else "",
                "confirmed_at": to_local(unit.confirmed_at) if unit.confirmed_at else None,
                "note": unit.note,
            }
        )
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (r["at"] or epoch, r["reference"], r["aliquots"]))
    return rows


def recall_units(recall):

    return (
        RecallUnit.objects.filter(recall=recall)
        .select_related("aliquot", "shipment", "shipment__consignee", "confirmed_by")
        .order_by("aliquot__container_id")
    )


def recall_effectiveness(recall, units=None) -> dict:
    units = list(recall_units(recall) if units is None else units)
    still_open = [u for u in units if u.outcome == "open"]
    return {
        "shipped": len(units),
        "open": still_open,
        "closed": len(units) - len(still_open),
        "can_close": recall.status == "open" and not still_open,
    }


def recall_contents(recall, *, patient_codes: bool = True) -> dict:
    """What a recall's page, its PDF and its API record show, each read once: the recipients ("rows"),
    the follow-up of its shipped units ("effectiveness"), the units in stock on hold ("held") and those
    destroyed in-house ("destroyed")."""
    units = list(recall_units(recall))
    return {
        "rows": recall_recipients(recall, patient_codes=patient_codes, units=units),
        "effectiveness": recall_effectiveness(recall, units),
        "held": list(recall_held_stock(recall)),
        "destroyed": list(destructions(recall)),
    }


def recall_list(*, status: str | None = None):
    """Recalls, newest first, with how many shipped units are still open; `status` open or closed."""
    queryset = Recall.objects.select_related("lot", "initiated_by").annotate(
        n_open=Count("units", filter=Q(units__outcome="open"), distinct=True),
        n_units=Count("units", distinct=True),
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-initiated_at", "-id")


def recall_summary(recall, *, shipped: int | None = None, still_open: int | None = None) -> dict:
    """One recall in a list (times local with their offset). Works on a `recall_list` row, or on any
    Recall with the counts of its shipped and still open units given or else read."""
    n_units = getattr(recall, "n_units", shipped)
    if n_units is None:
        n_units = recall.units.count()
    n_open = getattr(recall, "n_open", still_open)
    if n_open is None:
        n_open = recall.units.filter(outcome="open").count()
    return {
        "number": recall.number,
        "lot": recall.lot.number,
        "status": recall.status,
        "status_text": str(recall.get_status_display()),
        "reason": recall.reason,
        "initiated_by": recall.initiated_by.signature_name(),
        "initiated_at": iso_local(recall.initiated_at),
        "administrations": len(recall.recipients or []),
        "shipped_units": n_units,
        "open_units": n_open,
        "closed_at": iso_local(recall.closed_at) or None,
    }


def recall_detail(recall, *, patient_codes: bool = True) -> dict:
    """Everything a recall's page shows, as JSON-ready data: its summary, the recipients (patient codes
    only for a reader allowed to see them), the shipped units still open, the units in stock on hold
    and those destroyed in-house."""
    contents = recall_contents(recall, patient_codes=patient_codes)
    effectiveness = contents["effectiveness"]
    return {
        **recall_summary(recall, shipped=effectiveness["shipped"], still_open=len(effectiveness["open"])),
        "signature": {
            "printed_name": recall.signature.printed_name,
            "meaning": recall.signature.meaning,
            "record_hash": recall.signature.record_hash,
        },
        "closed_by": recall.close_signature.printed_name if recall.close_signature_id else None,
        "close_reason": recall.close_reason,
        "recipients": for_json(
            [{k: (str(v) if k == "kind_text" else v) for k, v in r.items()} for r in contents["rows"]]
        ),
        "open": [
            {
                "aliquot": u.aliquot.container_id,
                "shipment": u.shipment.number,
                "consignee": u.shipment.consignee.code,
                "consignee_name": u.shipment.consignee.name,
                "shipped_at": iso_local(u.shipment.shipped_at),
            }
            for u in effectiveness["open"]
        ],
        "held_stock": [
            {"aliquot": a.container_id, "location": a.location.code if a.location_id else None}
            for a in contents["held"]
        ],
        "destroyed": [destruction_summary(d) for d in contents["destroyed"]],
    }


def dashboard_card(user) -> dict | None:
    """For QA (who close recalls) and whoever confirms shipped units: open recalls and the shipped
    units they still follow, and the active holds. None for a user who neither closes recalls nor
    confirms units, or may not read them."""
    if not user.has_perm("trace.view") or not (
        user.has_perm("trace.recall") or user.has_perm("trace.recall_effectiveness")
    ):
        return None
    n = counts(
        recalls=Recall.objects.filter(status="open"),
        holds=Hold.objects.filter(status="active"),
        units=RecallUnit.objects.filter(Q(recall__status="open") & Q(outcome="open")),
    )
    return {
        "title": _("Recalls"),
        "value": n["recalls"],
        "caption": _("open recalls; {units} shipped units still open; {holds} active holds").format(
            units=n["units"], holds=n["holds"]
        ),
        "url_name": "trace:index",
    }
