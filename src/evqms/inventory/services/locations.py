"""Storage locations: the hierarchy (site > freezer/room > rack > box > position), the space left in
one, the storage unit of the equipment register it is, and the temperature excursions recorded
against it (on a storage unit, an excursion opens a deviation: `services.excursions`)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers
from evqms.core.db import lock_for_update
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import (
    ALLOWED_PARENTS,
    IN_STORAGE,
    LOCATION_KINDS,
    Aliquot,
    RetentionSample,
    StorageLocation,
    TemperatureExcursion,
)
from evqms.inventory.services.excursions import open_storage_deviation, storage_unit_of
from evqms.inventory.services.stock import parse_decimal


@transaction.atomic
def create_location(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    parent: StorageLocation | None = None,
    capacity: int | None = None,
    temperature_c=None,
    storage_unit=None,
) -> StorageLocation:
    require(actor, "inventory.manage_locations")
    _require_storage_unit(storage_unit)
    code = identifiers.clean("location", code, field="code")
    if kind not in dict(LOCATION_KINDS):
        raise InputError(_("unknown location kind {kind}").format(kind=kind), where="kind")
    parent_kind = parent.kind if parent else None
    if parent_kind not in ALLOWED_PARENTS[kind]:
        raise InputError(
            _("a {kind} cannot be placed in a {parent}").format(kind=kind, parent=parent_kind or "-"),
            where="parent",
        )
    identifiers.require_unique("location", code, field="code")
    if capacity is None and kind == "position":
        capacity = 1  # a position holds one container
    location = StorageLocation.objects.create(
        code=code,
        name=name or code,
        kind=kind,
        parent=parent,
        capacity=capacity,
        temperature_c=parse_decimal(temperature_c, "temperature_c", positive=False, allow_none=True),
        storage_unit=storage_unit,
    )
    record_event(
        actor=actor,
        action="location.create",
        object_type="storage_location",
        object_id=location.pk,
        after={
            "code": code,
            "kind": kind,
            "parent": parent.code if parent else None,
            "capacity": capacity,
            **({"storage_unit": storage_unit.identifier} if storage_unit else {}),
        },
    )
    return location


def _require_storage_unit(instrument) -> None:
    if instrument is not None and not instrument.is_storage_unit:
        raise InputError(
            _("instrument {instrument} is not a temperature-controlled storage unit").format(
                instrument=instrument.identifier
            ),
            where="storage_unit",
        )


@transaction.atomic
def link_storage_unit(*, actor, location: StorageLocation, storage_unit) -> StorageLocation:
    """Say which storage unit of the equipment register this location is (None: none)."""
    require(actor, "inventory.manage_locations")
    _require_storage_unit(storage_unit)
    location = (
        lock_for_update(StorageLocation.objects.filter(pk=location.pk)).select_related("storage_unit").get()
    )
    before = location.storage_unit.identifier if location.storage_unit_id else None
    location.storage_unit = storage_unit
    location.save(update_fields=["storage_unit"])
    record_event(
        actor=actor,
        action="location.storage_unit",
        object_type="storage_location",
        object_id=location.pk,
        before={"code": location.code, "storage_unit": before},
        after={"code": location.code, "storage_unit": storage_unit.identifier if storage_unit else None},
    )
    return location


def check_space(location: StorageLocation, *, moving: Aliquot | None = None) -> StorageLocation:
    """Lock `location` and refuse when it is full (a position holds one container); `moving` is a unit
    already counted there that is only changing place."""
    location = lock_for_update(StorageLocation.objects.filter(pk=location.pk)).get()
    if not location.active:
        raise RuleViolation(_("location {code} is not in use").format(code=location.code))
    if location.capacity is None:
        return location
    aliquots = Aliquot.objects.filter(location=location, status__in=IN_STORAGE)
    if moving is not None:
        aliquots = aliquots.exclude(pk=moving.pk)
    samples = RetentionSample.objects.filter(location=location, status="in_stock", aliquot__isnull=True)
    if aliquots.count() + samples.count() >= location.capacity:
        if location.kind == "position":
            raise RuleViolation(_("position {code} is occupied").format(code=location.code))
        raise RuleViolation(_("location {code} is full").format(code=location.code))
    return location


@transaction.atomic
def record_excursion(
    *,
    actor,
    location: StorageLocation,
    started_at: dt.datetime,
    extreme_temperature_c,
    description: str,
    ended_at: dt.datetime | None = None,
    assessment: str = "",
) -> TemperatureExcursion:
    require(actor, "inventory.record_excursion")
    if not (description or "").strip():
        raise InputError(_("describe the excursion"), where="description")
    if ended_at and ended_at < started_at:
        raise InputError(_("the end is before the start"), where="ended_at")
    unit_location, unit = storage_unit_of(location)
    excursion = TemperatureExcursion.objects.create(
        location=location,
        storage_unit=unit,
        started_at=started_at,
        ended_at=ended_at,
        extreme_temperature_c=parse_decimal(extreme_temperature_c, "extreme_temperature_c", positive=False),
        description=description.strip(),
        assessment=assessment,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="location.excursion",
        object_type="storage_location",
        object_id=location.pk,
        after={
            "excursion_id": excursion.pk,
            "started_at": started_at.isoformat(),
            "ended_at": ended_at.isoformat() if ended_at else None,
            "extreme_temperature_c": str(excursion.extreme_temperature_c),
            "description": excursion.description,
            **({"storage_unit": unit.identifier} if unit else {}),
        },
    )
    if unit is not None:
        open_storage_deviation(actor=actor, excursion=excursion, location=unit_location, unit=unit)
    return excursion
