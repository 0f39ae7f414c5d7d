"""Reads for the equipment pages, the API, the dashboard and the work queue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from evqms.core import identifiers
from evqms.core.tasks import Task, ordered
from evqms.equipment import status
from evqms.equipment.models import Instrument, Room
from evqms.i18n import _

# Calibration or maintenance falling due within this many days is on the owner's and QA's queue.
DUE_SOON_DAYS = 14


def rooms(*, active_only: bool = False):
    qs = Room.objects.all()
    return qs.filter(active=True) if active_only else qs


def get_room(code: str) -> Room | None:
    return Room.objects.filter(code=code).first()


def instruments(
    *,
    kind: str | None = None,
    room: str | None = None,
    state: str | None = None,
    due_within: int | None = None,
    storage_units: bool = False,
    search: str | None = None,
    today: dt.date | None = None,
):
    """The register, filtered; `state` is in_service / calibration_overdue / out_of_service as of
    `today` (the same rule as `status.state`, written as a query)."""
    today = today or timezone.localdate()
    qs = Instrument.objects.select_related("room", "owner")
    if kind:
        qs = qs.filter(kind=kind)
    if room:
        qs = qs.filter(room__code=room)
    if storage_units:
        qs = qs.filter(is_storage_unit=True)
    if search:
        qs = qs.filter(Q(identifier__icontains=search) | Q(name__icontains=search))
    needs = Q(calibration_interval_days__isnull=False) | Q(calibration_due__isnull=False)
    lapsed = needs & (Q(calibration_due__isnull=True) | Q(calibration_due__lt=today))
    if state == status.OUT_OF_SERVICE:
        qs = qs.filter(service_state="out_of_service")
    elif state == status.CALIBRATION_OVERDUE:
        qs = qs.exclude(service_state="out_of_service").filter(lapsed)
    elif state == status.IN_SERVICE:
        qs = qs.exclude(service_state="out_of_service").exclude(lapsed)
    if due_within is not None:
        horizon = today + dt.timedelta(days=due_within)
        qs = qs.filter(Q(calibration_due__lte=horizon) | Q(maintenance_due__lte=horizon))
    return qs


def due(day: dt.date | None, today: dt.date) -> dict:
    """A due date as a page shows it: the day, and how far past it (overdue) or ahead of it (soon)."""
    if day is None:
        return {"day": None, "overdue": None, "soon": None}
    days = (day - today).days
    return {
        "day": day,
        "overdue": -days if days < 0 else None,
        "soon": days if 0 <= days <= DUE_SOON_DAYS else None,
    }


def register_rows(qs, *, today: dt.date | None = None) -> list[dict]:
    """Each instrument with its state and its due dates as `due` gives them."""
    today = today or timezone.localdate()
    return [
        {
            "instrument": instrument,
            "state": status.state(instrument, today),
            "calibration": due(instrument.calibration_due, today),
            "maintenance": due(instrument.maintenance_due, today),
        }
        for instrument in qs
    ]


def get_instrument(identifier: str) -> Instrument | None:
    return Instrument.objects.select_related("room", "owner").filter(identifier=identifier).first()


def find_instrument(identifier: str) -> Instrument | None:
    """By identifier as typed (full-width forms folded, any letter case): for forms and imports."""
    text = identifiers.normalise(identifier)
    if not text:
        return None
    return Instrument.objects.select_related("room", "owner").filter(identifier__iexact=text).first()


def find_room(code: str) -> Room | None:
    text = identifiers.normalise(code)
    return Room.objects.filter(code__iexact=text).first() if text else None


def usable_instruments():
    """Instruments a form offers (out of service ones are left out; the service decides the rest)."""
    return Instrument.objects.exclude(service_state="out_of_service").select_related("room")


def storage_units():
    return Instrument.objects.filter(is_storage_unit=True)


def instrument_history(instrument: Instrument) -> dict:
    return {
        "calibrations": list(instrument.calibrations.select_related("recorded_by")),
        "maintenance": list(instrument.maintenance.select_related("recorded_by")),
    }


def _may_look_after(user, instrument: Instrument) -> bool:
    """The owner who may record the work, or QA (who keeps the register)."""
    if user.has_perm("equipment.manage"):
        return True
    return instrument.owner_id == user.pk and user.has_perm("equipment.record_calibration")


def tasks_for(user, *, today: dt.date | None = None) -> list[Task]:
    """Calibrations and maintenance due within DUE_SOON_DAYS or overdue, for the instrument's owner
    and for QA; an instrument out of service is listed by its state for QA only."""
    if not user.has_perm("equipment.view"):
        return []
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=DUE_SOON_DAYS)
    qs = Instrument.objects.filter(Q(calibration_due__lte=horizon) | Q(maintenance_due__lte=horizon)).exclude(
        service_state="out_of_service"
    )
    if not user.has_perm("equipment.manage"):
        qs = qs.filter(owner=user)
    tasks = []
    area = str(_("Equipment"))
    for instrument in qs.select_related("owner"):
        if not _may_look_after(user, instrument) or not identifiers.is_valid(
            "instrument", instrument.identifier
        ):
            continue
        url = reverse("equipment:instrument-detail", args=[instrument.identifier])
        if instrument.calibration_due and instrument.calibration_due <= horizon:
            title = _("Calibrate {instrument} ({name})").format(
                instrument=instrument.identifier, name=instrument.name
            )
            tasks.append(Task("equipment.calibration", title, url, instrument.calibration_due, area))
        if instrument.maintenance_due and instrument.maintenance_due <= horizon:
            title = _("Maintain {instrument} ({name})").format(
                instrument=instrument.identifier, name=instrument.name
            )
            tasks.append(Task("equipment.maintenance", title, url, instrument.maintenance_due, area))
    return ordered(tasks)


def dashboard_card(user) -> dict | None:
    if not user.has_perm("equipment.view"):
        return None
    rows = register_rows(Instrument.objects.all())
    overdue = sum(1 for r in rows if r["state"] == status.CALIBRATION_OVERDUE)
    out = sum(1 for r in rows if r["state"] == status.OUT_OF_SERVICE)
    caption = _("instruments; {overdue} calibration overdue, {out} out of service").format(
        overdue=overdue, out=out
    )
    return {"title": _("Equipment"), "value": len(rows), "caption": caption, "url_name": "equipment:register"}
