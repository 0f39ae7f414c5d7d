"""Reads for inventory: aliquot lists, the location tree, one location with its contents and temperature
excursions, retention due/missing, labels, the dashboard card."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from evqms.core.db import counts
from evqms.core.links import absolute_url
from evqms.core.tasks import Task, due_after
from evqms.core.timefmt import local_date
from evqms.dossier.models import MaterialLot
from evqms.i18n import _
from evqms.inventory.models import (
    IN_STORAGE,
    Aliquot,
    Consignee,
    RetentionSample,
    Shipment,
    ShipmentItem,
    StorageLocation,
    TemperatureExcursion,
)
from evqms.lots.holds import active_holds, hold_label
from evqms.lots.models import Lot, MaterialUsage, QCResult

DUE_WITHIN_DAYS = 30


def aliquot_list(*, status: str | None = None, lot: str | None = None, search: str | None = None):
    qs = Aliquot.objects.select_related("lot", "lot__product", "location")
    if status:
        qs = qs.filter(status=status)
    if lot:
        qs = qs.filter(lot__number=lot)
    if search:
        qs = qs.filter(Q(container_id__icontains=search.strip()) | Q(lot__number__icontains=search.strip()))
    return qs.order_by("container_id")


def get_aliquot(container_id: str) -> Aliquot | None:
    return (
        Aliquot.objects.select_related("lot", "lot__product", "location", "created_by")
        .filter(container_id=container_id)
        .first()
    )


def held_by(aliquot: Aliquot, holds: list | None = None) -> str | None:
    """The recall or hold number that keeps this aliquot out of use, or None: the one predicate that
    every stock action (inventory.services.holds.refuse_if_held), the administration and the aliquot's
    page ask.

    The unit's own mark first; else the lot's active holds (`holds` when the caller has read them), so
    a unit is held even if it was created or returned after its lot was held."""
    if aliquot.status == "on_hold" and aliquot.hold_ref:
        return aliquot.hold_ref
    holds = active_holds(aliquot.lot_id) if holds is None else holds
    return holds[0].source if holds else None


def hold_of(aliquot: Aliquot) -> dict | None:
    """What holds this aliquot, for its page: {"source", "label", "reason", "placed_at"} or None
    (`held_by`). A discarded unit (e.g. destroyed under the recall) is out of use for good and is not
    shown as held."""
    if aliquot.status == "discarded":
        return None
    holds = active_holds(aliquot.lot_id)
    source = held_by(aliquot, holds)
    if source is None:
        return None
    if source.startswith("DEV-"):  # held by a storage excursion's deviation until QA assesses it
        excursion = (
            TemperatureExcursion.objects.filter(deviation__number=source).select_related("location").first()
        )
        return {
            "source": source,
            "recall": False,
            "deviation": True,
            "label": hold_label(source),
            "reason": excursion.description if excursion else "",
            "placed_at": excursion.recorded_at if excursion else None,
            "location": excursion.location.code if excursion else None,
        }
    match = next((h for h in holds if h.source == source), None) or (holds[0] if holds else None)
    return {
        "source": source,
        "recall": source.startswith("RC-"),
        "label": hold_label(source),
        "reason": match.reason if match else "",
        "placed_at": match.placed_at if match else None,
    }


def consignees():
    return Consignee.objects.annotate(n_shipments=Count("shipments")).order_by("code")


def _with_items(queryset):
    """Shipments with their units (`items`, by container id) read in one more query, not one per shipment."""
    items = ShipmentItem.objects.select_related("aliquot", "aliquot__lot").order_by("aliquot__container_id")
    return queryset.prefetch_related(Prefetch("items", queryset=items))


def shipments(*, units: bool = False):
    """Newest first, with `n_units`; with `units`, each shipment's `items` too (the API lists them)."""
    queryset = (
        Shipment.objects.select_related("consignee", "shipped_by")
        .annotate(n_units=Count("items"))
        .order_by("-shipped_at", "-id")
    )
    return _with_items(queryset) if units else queryset


def get_shipment(number: str) -> Shipment | None:
    """One shipment with its units (`items`, each with its aliquot and lot)."""
    return _with_items(
        Shipment.objects.select_related("consignee", "shipped_by").filter(number=number)
    ).first()


def aliquot_shipments(aliquot: Aliquot) -> list[Shipment]:
    return [
        item.shipment
        for item in ShipmentItem.objects.filter(aliquot=aliquot)
        .select_related("shipment", "shipment__consignee", "shipment__shipped_by")
        .order_by("shipment__shipped_at", "id")
    ]


def location_path(location: StorageLocation | None) -> str:
    """site / freezer / rack / box / position (walks up a handful of rows; for display only)."""
    parts = []
    seen = 0
    while location is not None and seen < 10:
        parts.append(location.code)
        location = location.parent
        seen += 1
    return " / ".join(reversed(parts))


def location_tree() -> list[dict]:
    """Every location in tree order with its depth, occupancy and number of recorded temperature
    excursions (four queries)."""
    locations = list(StorageLocation.objects.select_related("parent").order_by("code"))
    counts = dict(
        Aliquot.objects.filter(status__in=IN_STORAGE, location__isnull=False)
        .values_list("location")
        .annotate(n=Count("id"))
        .values_list("location", "n")
    )
    excursions = dict(
        TemperatureExcursion.objects.values_list("location")
        .annotate(n=Count("id"))
        .values_list("location", "n")
    )
    for loc_id, n in (
        RetentionSample.objects.filter(status="in_stock", aliquot__isnull=True, location__isnull=False)
        .values_list("location")
        .annotate(n=Count("id"))
        .values_list("location", "n")
    ):
        counts[loc_id] = counts.get(loc_id, 0) + n
    children: dict[int | None, list[StorageLocation]] = {}
    for loc in locations:
        children.setdefault(loc.parent_id, []).append(loc)
    out: list[dict] = []

    def walk(parent_id, depth):
        for loc in children.get(parent_id, []):
            out.append(
                {
                    "location": loc,
                    "depth": depth,
                    "occupied": counts.get(loc.pk, 0),
                    "excursions": excursions.get(loc.pk, 0),
                }
            )
            walk(loc.pk, depth + 1)

    walk(None, 0)
    return out


def get_location(code: str) -> StorageLocation | None:
    return (
        StorageLocation.objects.select_related("parent", "storage_unit")
        .filter(code=(code or "").strip())
        .first()
    )


def location_children(location: StorageLocation):
    return location.children.order_by("code")


def location_descendant_ids(location: StorageLocation) -> list[int]:
    """The location and everything inside it, one query per level (the hierarchy is at most six deep)."""
    ids, level = [location.pk], [location.pk]
    for _depth in range(10):
        level = list(StorageLocation.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        if not level:
            break
        ids += level
    return ids


def aliquots_stored_under(location: StorageLocation, limit: int = 500):
    """Aliquots in storage at this location or anywhere inside it: those an excursion here may affect."""
    return (
        Aliquot.objects.filter(location_id__in=location_descendant_ids(location), status__in=IN_STORAGE)
        .select_related("lot", "location")
        .order_by("container_id")[:limit]
    )


def location_excursions(location: StorageLocation):
    """Temperature excursions recorded for this location, the latest first."""
    return (
        TemperatureExcursion.objects.filter(location=location)
        .select_related("recorded_by", "deviation", "storage_unit")
        .order_by("-started_at", "-id")
    )


def excursion_held_aliquots(excursions) -> dict[str, list[Aliquot]]:
    """{deviation number: the aliquots still on hold under it} for these excursions (one query)."""
    numbers = [e.deviation.number for e in excursions if e.deviation_id]
    held: dict[str, list[Aliquot]] = {n: [] for n in numbers}
    if numbers:
        for aliquot in (
            Aliquot.objects.filter(status="on_hold", hold_ref__in=numbers)
            .select_related("lot", "location")
            .order_by("container_id")
        ):
            held[aliquot.hold_ref].append(aliquot)
    return held


def unit_location(location: StorageLocation):
    """(the location at or above `location` linked to a storage unit, the unit), or (None, None)."""
    seen = 0
    while location is not None and seen < 10:
        if location.storage_unit_id:
            return location, location.storage_unit
        location = location.parent
        seen += 1
    return None, None


def free_positions(limit: int = 200):
    """Positions with nothing in them (for forms)."""
    occupied_aliquot = Aliquot.objects.filter(location=OuterRef("pk"), status__in=IN_STORAGE)
    occupied_sample = RetentionSample.objects.filter(location=OuterRef("pk"), status="in_stock")
    return (
        StorageLocation.objects.filter(kind="position", active=True)
        .exclude(Exists(occupied_aliquot))
        .exclude(Exists(occupied_sample))
        .order_by("code")[:limit]
    )


@dataclass
class RetentionGap:
    kind: str  # "lot" | "material_lot"
    code: str
    label: str
    problem: str


def retention_missing() -> list[RetentionGap]:
    """Every administered lot needs a retention sample in stock; every biological material lot used in a
    lot needs one or a documented reason (status not_kept)."""
    in_stock = RetentionSample.objects.filter(lot=OuterRef("pk"), status="in_stock")
    administered = Aliquot.objects.filter(lot=OuterRef("pk"), status="administered")
    gaps = [
        RetentionGap(
            "lot",
            lot.number,
            str(lot.product.name),
            _("Administered lot without a retention sample in stock"),
        )
        # Without a sample in stock first: it rules out nearly every lot from the index alone.
        for lot in Lot.objects.exclude(Exists(in_stock))
        .filter(Exists(administered))
        .select_related("product")
        .order_by("number")
    ]
    covered = RetentionSample.objects.filter(material_lot=OuterRef("pk"), status__in=("in_stock", "not_kept"))
    used = MaterialUsage.objects.filter(material_lot=OuterRef("pk"))
    for mlot in (
        MaterialLot.objects.filter(is_biological=True)
        .filter(Exists(used))
        .exclude(Exists(covered))
        .select_related("material")
        .order_by("lot_number")
    ):
        gaps.append(
            RetentionGap(
                "material_lot",
                mlot.lot_number,
                mlot.material.name,
                _("Biological material lot used in a lot, with no retention sample and no documented reason"),
            )
        )
    return gaps


def retention_due(today: dt.date | None = None, within_days: int = DUE_WITHIN_DAYS):
    """Samples in stock whose retention ends within `within_days` (or has ended): review or dispose."""
    today = today or timezone.localdate()
    return (
        RetentionSample.objects.filter(
            status="in_stock", retain_until__lte=today + dt.timedelta(days=within_days)
        )
        .select_related("lot", "material_lot", "material_lot__material", "location", "aliquot")
        .order_by("retain_until", "id")
    )


def retention_samples():
    return RetentionSample.objects.select_related(
        "lot", "material_lot", "material_lot__material", "location", "aliquot"
    ).order_by("retain_until", "id")


def label_url(aliquot: Aliquot) -> str:
    """What the container label's QR code holds: the absolute address of the aliquot's page
    (core.links, EVQMS_BASE_URL), so any phone's camera opens the record, through the login."""
    return absolute_url(reverse("inventory:aliquot-detail", args=[aliquot.container_id]))


def label_svg(aliquot: Aliquot, scale: int = 3) -> str:
    """A 2D code (QR, SVG) holding the address of the aliquot's page, for the container label; the
    container id is its text alternative (the label prints it beside the code as well)."""
    import segno

    return segno.make(label_url(aliquot), error="m").svg_inline(
        scale=scale, dark="#000", title=aliquot.container_id
    )


def dashboard_card(user) -> dict | None:
    if not user.has_perm("inventory.view"):
        return None
    n = counts(
        available=Aliquot.objects.filter(status="available"), held=Aliquot.objects.filter(status="on_hold")
    )
    available, held = n["available"], n["held"]
    missing = len(retention_missing())
    caption = _("aliquots available")
    if missing:
        caption = _("aliquots available; {n} retention samples missing").format(n=missing)
    if held:
        caption = _("{caption}; {n} on hold (recall or hold)").format(caption=caption, n=held)
    return {
        "title": _("Inventory"),
        "value": available,
        "caption": caption,
        "url_name": "inventory:aliquot-list",
    }


# --- the work queue (core.tasks) -----------------------------------------------------------


def tasks_for(user) -> list[Task]:
    """Retention samples to take or that are missing, and kept samples whose period ends, for those
    who record retention (inventory.record_retention, as services.retention requires). The product's
    policy asks for a sample before release (lots.selectors.release_checklist); a released lot whose
    sample is gone, an administered lot without one and a used biological material lot without one
    or a documented reason are missing. A constant number of queries."""
    if not (user.has_perm("inventory.view") and user.has_perm("inventory.record_retention")):
        return []
    area = str(_("Inventory"))
    today = timezone.localdate()
    tasks: list[Task] = []
    in_stock = RetentionSample.objects.filter(lot=OuterRef("pk"), status="in_stock")
    administered = Aliquot.objects.filter(lot=OuterRef("pk"), status="administered")
    latest_result = (
        QCResult.objects.filter(lot=OuterRef("pk")).order_by("-recorded_at").values("recorded_at")[:1]
    )
    for number, status, released_at, made, last_result in (
        # Without a sample in stock first, as in retention_missing; the last result is read only for
        # the lots that remain (a join over every lot's results would group them all).
        Lot.objects.exclude(Exists(in_stock))
        .filter(
            Q(status="quarantine", product__retention_sample_required=True)
            | Q(status="released", product__retention_sample_required=True)
            | Exists(administered)
        )
        .annotate(last_result=Subquery(latest_result))
        .values_list("number", "status", "released_at", "manufactured_on", "last_result")
    ):
        url = _retention_url(number)
        if status == "quarantine":  # needed before QA may release it: due with the release
            title = _("Take a retention sample of lot {lot} before release").format(lot=number)
            tasks.append(
                Task("retention.take", title, url, due_after(last_result or made, "lot.release"), area)
            )
        else:
            title = _("Retention sample of lot {lot} is missing").format(lot=number)
            tasks.append(Task("retention.missing", title, url, local_date(released_at) or made, area))
    covered = RetentionSample.objects.filter(material_lot=OuterRef("pk"), status__in=("in_stock", "not_kept"))
    used = MaterialUsage.objects.filter(material_lot=OuterRef("pk"))
    for lot_number, first_use in (
        MaterialLot.objects.filter(is_biological=True)
        .filter(Exists(used))
        .exclude(Exists(covered))
        .annotate(first_use=Min("usages__recorded_at"))
        .values_list("lot_number", "first_use")
    ):
        title = _("Retention sample of material lot {lot} is missing (or record why none is kept)").format(
            lot=lot_number
        )
        tasks.append(
            Task(
                "retention.missing",
                title,
                reverse("inventory:retention") + "#retention-missing",
                local_date(first_use),
                area,
            )
        )
    for lot_number, material_lot_number, until in RetentionSample.objects.filter(
        status="in_stock", retain_until__lte=today + dt.timedelta(days=DUE_WITHIN_DAYS)
    ).values_list("lot__number", "material_lot__lot_number", "retain_until"):
        subject = lot_number or material_lot_number
        title = _("Retention period of the sample of {subject} ends: review or dispose").format(
            subject=subject
        )
        tasks.append(
            Task("retention.end", title, reverse("inventory:retention") + "#retention-due", until, area)
        )
    return tasks


def _retention_url(lot_number: str) -> str:
    url = reverse("inventory:retention")
    return f"{url}?{urlencode({'lot': lot_number})}" if lot_number else url
