"""Aliquots: split from a released lot, moved, reserved, discarded, administered."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers
from evqms.core.db import lock_for_update
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import IN_STORAGE, Aliquot, StorageLocation
from evqms.inventory.records import aliquot_record
from evqms.inventory.services.holds import refuse_if_held
from evqms.inventory.services.locations import check_space
from evqms.inventory.services.stock import (
    change_aliquot,
    leave_storage,
    locked_aliquot,
    parse_decimal,
    record_move,
    require_transaction,
)
from evqms.lots.holds import active_holds, hold_label
from evqms.lots.models import Lot


@transaction.atomic
def create_aliquots(
    *,
    actor,
    lot: Lot,
    count: int,
    volume_ml,
    particle_count=None,
    protein_ug=None,
    locations: list[StorageLocation] | None = None,
    start: int | None = None,
) -> list[Aliquot]:
    """Split a released lot into `count` containers named <lot>-A001, -A002 ..."""
    require(actor, "inventory.manage_stock")
    lot = lock_for_update(Lot.objects.filter(pk=lot.pk)).get()
    holds = active_holds(lot)
    if holds:
        raise RuleViolation(
            _("lot {lot} is on hold under {hold}: it cannot be aliquoted").format(
                lot=lot.number, hold=hold_label(holds[0].source, holds[0].source_kind)
            )
        )
    if lot.status != "released":
        raise RuleViolation(
            _("lot {lot} is not released ({status}): it cannot be aliquoted").format(
                lot=lot.number, status=lot.status
            )
        )
    if not isinstance(count, int) or count < 1 or count > 1000:
        raise InputError(_("the number of aliquots must be between 1 and 1000"), where="count")
    volume = parse_decimal(volume_ml, "volume_ml")
    particles = parse_decimal(particle_count, "particle_count", allow_none=True)
    protein = parse_decimal(protein_ug, "protein_ug", allow_none=True)
    if locations and len(locations) != count:
        raise InputError(_("give one location per aliquot"), where="locations")
    first = start or (Aliquot.objects.filter(lot=lot).count() + 1)
    now = timezone.now()
    created = []
    for i in range(count):
        container = identifiers.clean("aliquot", f"{lot.number}-A{first + i:03d}", field="start")
        identifiers.require_unique("aliquot", container, field="start")
        location = check_space(locations[i]) if locations else None
        aliquot = Aliquot.objects.create(
            container_id=container,
            lot=lot,
            volume_ml=volume,
            particle_count=particles,
            protein_ug=protein,
            location=location,
            created_by=actor,
            created_at=now,
        )
        record_event(
            actor=actor,
            action="aliquot.create",
            object_type="aliquot",
            object_id=aliquot.pk,
            after=aliquot_record(aliquot),
        )
        created.append(aliquot)
    return created


@transaction.atomic
def move_aliquot(*, actor, aliquot: Aliquot | str, to_location: StorageLocation, reason: str = "") -> Aliquot:
    require(actor, "inventory.manage_stock")
    aliquot = locked_aliquot(aliquot)
    if aliquot.status not in IN_STORAGE:
        raise RuleViolation(
            _("aliquot {code} is {status}: it is no longer in storage").format(
                code=aliquot.container_id, status=aliquot.status
            )
        )
    if aliquot.location_id == to_location.pk:
        raise InputError(
            _("aliquot {code} is already at {location}").format(
                code=aliquot.container_id, location=to_location.code
            ),
            where="to_location",
        )
    to_location = check_space(to_location, moving=aliquot)
    record_move(actor, aliquot, to_location, reason)
    return change_aliquot(actor, aliquot, "aliquot.move", reason, location=to_location)


@transaction.atomic
def discard_aliquot(*, actor, aliquot: Aliquot | str, reason: str) -> Aliquot:
    require(actor, "inventory.manage_stock")
    if not (reason or "").strip():
        raise InputError(_("a reason is required to discard an aliquot"), where="reason")
    aliquot = locked_aliquot(aliquot)
    refuse_if_held(aliquot, "discard")
    if aliquot.status not in ("available", "reserved"):
        raise RuleViolation(
            _("aliquot {code} is {status}: it cannot be discarded").format(
                code=aliquot.container_id, status=aliquot.status
            )
        )
    return leave_storage(actor, aliquot, "discarded", reason.strip(), "aliquot.discard")


@transaction.atomic
def reserve_aliquot(*, actor, aliquot: Aliquot | str, reason: str = "") -> Aliquot:
    """available -> reserved. The row is locked first, so of two concurrent reservations one wins."""
    require(actor, "inventory.reserve")
    aliquot = locked_aliquot(aliquot)
    refuse_if_held(aliquot, "reserve")
    if aliquot.status != "available":
        raise RuleViolation(
            _("aliquot {code} is {status}: it cannot be reserved").format(
                code=aliquot.container_id, status=aliquot.status
            )
        )
    if aliquot.lot.status != "released":
        raise RuleViolation(
            _("lot {lot} is {status}: its aliquots cannot be reserved").format(
                lot=aliquot.lot.number, status=aliquot.lot.status
            )
        )
    return change_aliquot(actor, aliquot, "aliquot.reserve", reason, status="reserved", reason=reason)


@transaction.atomic
def unreserve_aliquot(*, actor, aliquot: Aliquot | str, reason: str = "") -> Aliquot:
    require(actor, "inventory.reserve")
    aliquot = locked_aliquot(aliquot)
    refuse_if_held(aliquot, "release")
    if aliquot.status != "reserved":
        raise RuleViolation(_("aliquot {code} is not reserved").format(code=aliquot.container_id))
    return change_aliquot(actor, aliquot, "aliquot.unreserve", reason, status="available", reason="")


def mark_administered(*, actor, aliquot: Aliquot, administration_number: str) -> None:
    """Called by clinical.services inside its own transaction, with the aliquot already locked and checked."""
    require_transaction("mark_administered", "administration's")
    leave_storage(actor, aliquot, "administered", administration_number, "aliquot.administer")
