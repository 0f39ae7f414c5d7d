"""Writes for inventory: locations, aliquots, moves, reservations, discards, shipments, excursions,
retention samples. Each function checks the role, runs in one transaction with the rows it
changes locked, and writes its audit event in that transaction; a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers
from evqms.core.db import lock_for_update
from evqms.core.numbering import next_number
from evqms.dossier.models import MaterialLot
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import (
    ALLOWED_PARENTS,
    HOLDABLE,
    IN_STORAGE,
    LOCATION_KINDS,
    Aliquot,
    AliquotMove,
    Consignee,
    RetentionPolicy,
    RetentionSample,
    Shipment,
    ShipmentItem,
    StorageLocation,
    TemperatureExcursion,
)
from evqms.inventory.selectors import held_by
from evqms.lots.holds import active_holds, hold_label
from evqms.lots.models import Lot

# One year after expiry unless a RetentionPolicy row or settings.EVQMS_RETENTION says otherwise.
DEFAULT_RETENTION = {"lot": (365, True), "material_lot": (365, True)}


def _now() -> dt.datetime:
    return timezone.now()


def _decimal(value, field: str, *, positive: bool = True, allow_none: bool = False) -> Decimal | None:
    if value is None or value == "":
        if allow_none:
            return None
        raise InputError(_("a value is required"), where=field)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InputError(_("not a number: {value}").format(value=value), where=field) from None
    if not number.is_finite() or (positive and number <= 0):
        raise InputError(_("must be a positive number"), where=field)
    return number


def aliquot_snapshot(aliquot: Aliquot) -> dict:
    return {
        "container_id": aliquot.container_id,
        "lot": aliquot.lot.number if aliquot.lot_id else None,
        "volume_ml": str(aliquot.volume_ml),
        "particle_count": str(aliquot.particle_count) if aliquot.particle_count is not None else None,
        "protein_ug": str(aliquot.protein_ug) if aliquot.protein_ug is not None else None,
        "status": aliquot.status,
        "location": aliquot.location.code if aliquot.location_id else None,
        "reason": aliquot.reason,
        "hold": aliquot.hold_ref or None,
    }


def lock_aliquots(queryset):
    """Row locks on the aliquots only (not on the lot or location joined for reading), where the database
    has row locks; SQLite serialises write transactions instead (see evqms.core.db)."""
    if connection.features.has_select_for_update:
        return queryset.select_for_update(of=("self",))
    return queryset


def _locked_aliquot(aliquot: Aliquot | str) -> Aliquot:
    key = {"container_id": aliquot} if isinstance(aliquot, str) else {"pk": aliquot.pk}
    found = lock_aliquots(Aliquot.objects.filter(**key)).select_related("lot", "location").first()
    if found is None:
        raise InputError(
            _("unknown aliquot {code}").format(code=key.get("container_id", "")), where="aliquot"
        )
    return found


def _audited(actor, aliquot: Aliquot, action: str, why: str = "", **fields) -> Aliquot:
    """Set `fields` on the locked aliquot, save them and write the audit event (before and after), in
    the caller's transaction: every change of an aliquot goes through here."""
    before = aliquot_snapshot(aliquot)
    for name, value in fields.items():
        setattr(aliquot, name, value)
    aliquot.save(update_fields=list(fields))
    record_event(
        actor=actor,
        action=action,
        object_type="aliquot",
        object_id=aliquot.pk,
        before=before,
        after=aliquot_snapshot(aliquot),
        reason=why,
    )
    return aliquot


# --- holds (placed by a recall or a QA hold; every stock action refuses a held unit) ------


def refuse_if_held(aliquot: Aliquot, action: str) -> None:
    """RuleViolation naming the recall or hold when `aliquot` is held; `action` is ship, reserve,
    administer, discard, retain or release (back to use)."""
    source = held_by(aliquot)
    if source is None:
        return
    messages = {
        "ship": _("aliquot {code} is on hold under {hold}: it cannot be shipped"),
        "reserve": _("aliquot {code} is on hold under {hold}: it cannot be reserved"),
        "administer": _("aliquot {code} is on hold under {hold}: it cannot be administered"),
        "discard": _("aliquot {code} is on hold under {hold}: it cannot be discarded"),
        "retain": _("aliquot {code} is on hold under {hold}: it cannot become a retention sample"),
        "release": _("aliquot {code} is on hold under {hold}: it cannot be returned to use"),
    }
    raise RuleViolation(messages[action].format(code=aliquot.container_id, hold=hold_label(source)))


def hold_lot_stock(*, actor, lot: Lot, source: str, reason: str) -> list[Aliquot]:
    """Put every available or reserved aliquot of `lot` on hold under `source` (a recall or hold
    number). Runs inside the caller's transaction (the recall or hold), with the rows locked."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("hold_lot_stock must run inside the recall's or hold's transaction")
    held = []
    for aliquot in lock_aliquots(Aliquot.objects.filter(lot=lot, status__in=HOLDABLE)).select_related(
        "lot", "location"
    ):
        _audited(
            actor,
            aliquot,
            "aliquot.hold",
            reason,
            held_status=aliquot.status,
            status="on_hold",
            hold_ref=source,
        )
        held.append(aliquot)
    return held


def lift_lot_stock_hold(*, actor, lot: Lot, source: str, reason: str) -> list[Aliquot]:
    """After the lot hold `source` is lifted: its units go back to the status they had, unless another
    active hold still holds the lot (then they stay on hold under that one). Inside the caller's
    transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lift_lot_stock_hold must run inside the hold's transaction")
    remaining = [h for h in active_holds(lot) if h.source != source]
    changed = []
    for aliquot in lock_aliquots(
        Aliquot.objects.filter(lot=lot, status="on_hold", hold_ref=source)
    ).select_related("lot", "location"):
        if remaining:
            fields = {"hold_ref": remaining[0].source}
        else:
            back = aliquot.held_status if aliquot.held_status in HOLDABLE else "available"
            fields = {"status": back, "hold_ref": "", "held_status": ""}
        changed.append(_audited(actor, aliquot, "aliquot.hold_lift", reason, **fields))
    return changed


def destroy_held_aliquot(*, actor, aliquot: Aliquot, source: str, reason: str) -> Aliquot:
    """Controlled disposal of a unit held under `source` (a recall or hold number), decided and signed
    by QA in the caller's transaction (trace.services.destroy_held_units). The unit leaves storage as
    discarded; the ordinary discard keeps refusing a held unit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("destroy_held_aliquot must run inside the recall's or hold's transaction")
    if aliquot.status != "on_hold":
        raise RuleViolation(
            _("aliquot {code} is {status}: only a unit on hold is destroyed this way").format(
                code=aliquot.container_id, status=aliquot.get_status_display()
            )
        )
    return _leave_storage(
        actor,
        aliquot,
        "discarded",
        reason,
        "aliquot.destroy_held",
        reason=_("destroyed under {hold}: {reason}").format(hold=hold_label(source), reason=reason),
        hold_ref="",
        held_status="",
    )


SHIPPED_OUTCOMES = ("returned", "destroyed", "administered")


def record_shipped_unit_outcome(*, actor, aliquot: Aliquot, outcome: str, source: str, note: str) -> Aliquot:
    """What became of a shipped unit under a recall: returned (back in, on hold under the recall),
    destroyed at the consignee (discarded) or administered there. Inside the recall's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_shipped_unit_outcome must run inside the recall's transaction")
    if outcome not in SHIPPED_OUTCOMES:
        raise InputError(_("unknown outcome {outcome}").format(outcome=outcome), where="outcome")
    aliquot = _locked_aliquot(aliquot)
    if aliquot.status != "shipped":
        raise RuleViolation(
            _("aliquot {code} is {status}: only a shipped unit is closed this way").format(
                code=aliquot.container_id, status=aliquot.get_status_display()
            )
        )
    fields = {
        "returned": {"status": "on_hold", "hold_ref": source, "held_status": ""},
        "destroyed": {"status": "discarded"},
        "administered": {"status": "administered"},
    }[outcome]
    return _audited(actor, aliquot, f"aliquot.recall_{outcome}", note, **fields)


# --- locations ----------------------------------------------------------------------------


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
) -> StorageLocation:
    require(actor, "inventory.manage_locations")
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
        temperature_c=_decimal(temperature_c, "temperature_c", positive=False, allow_none=True),
    )
    record_event(
        actor=actor,
        action="location.create",
        object_type="storage_location",
        object_id=location.pk,
        after={"code": code, "kind": kind, "parent": parent.code if parent else None, "capacity": capacity},
    )
    return location


def _check_space(location: StorageLocation, *, moving: Aliquot | None = None) -> StorageLocation:
    """Lock `location` and refuse when it is full (a position holds one container)."""
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


# --- aliquots -----------------------------------------------------------------------------


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
    volume = _decimal(volume_ml, "volume_ml")
    particles = _decimal(particle_count, "particle_count", allow_none=True)
    protein = _decimal(protein_ug, "protein_ug", allow_none=True)
    if locations and len(locations) != count:
        raise InputError(_("give one location per aliquot"), where="locations")
    first = start or (Aliquot.objects.filter(lot=lot).count() + 1)
    now = _now()
    created = []
    for i in range(count):
        container = identifiers.clean("aliquot", f"{lot.number}-A{first + i:03d}", field="start")
        identifiers.require_unique("aliquot", container, field="start")
        location = _check_space(locations[i]) if locations else None
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
            after=aliquot_snapshot(aliquot),
        )
        created.append(aliquot)
    return created


@transaction.atomic
def move_aliquot(*, actor, aliquot: Aliquot | str, to_location: StorageLocation, reason: str = "") -> Aliquot:
    require(actor, "inventory.manage_stock")
    aliquot = _locked_aliquot(aliquot)
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
    to_location = _check_space(to_location, moving=aliquot)
    AliquotMove.objects.create(
        aliquot=aliquot,
        from_location=aliquot.location,
        to_location=to_location,
        moved_by=actor,
        moved_at=_now(),
        reason=reason,
    )
    return _audited(actor, aliquot, "aliquot.move", reason, location=to_location)


def _leave_storage(actor, aliquot: Aliquot, status: str, why: str, action: str, **fields) -> Aliquot:
    """The unit leaves storage (shipped, administered, discarded): the move out of its location is
    kept, and its reason is `why` unless `fields` give another."""
    if aliquot.location_id:
        AliquotMove.objects.create(
            aliquot=aliquot,
            from_location=aliquot.location,
            to_location=None,
            moved_by=actor,
            moved_at=_now(),
            reason=why,
        )
    return _audited(
        actor, aliquot, action, why, **{"status": status, "reason": why, "location": None, **fields}
    )


@transaction.atomic
def discard_aliquot(*, actor, aliquot: Aliquot | str, reason: str) -> Aliquot:
    require(actor, "inventory.manage_stock")
    if not (reason or "").strip():
        raise InputError(_("a reason is required to discard an aliquot"), where="reason")
    aliquot = _locked_aliquot(aliquot)
    refuse_if_held(aliquot, "discard")
    if aliquot.status not in ("available", "reserved"):
        raise RuleViolation(
            _("aliquot {code} is {status}: it cannot be discarded").format(
                code=aliquot.container_id, status=aliquot.status
            )
        )
    return _leave_storage(actor, aliquot, "discarded", reason.strip(), "aliquot.discard")


# --- distribution: consignees and shipments ----------------------------------------------


def consignee_snapshot(consignee: Consignee) -> dict:
    return {
        "code": consignee.code,
        "name": consignee.name,
        "address": consignee.address,
        "site": consignee.site,
        "contact_name": consignee.contact_name,
        "contact_phone": consignee.contact_phone,
        "contact_email": consignee.contact_email,
        "active": consignee.active,
    }


CONSIGNEE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


def _required(value, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InputError(_("a value is required"), where=field)
    return value


@transaction.atomic
def create_consignee(
    *,
    actor,
    code: str,
    name: str,
    address: str,
    contact_name: str,
    site: str = "",
    contact_phone: str = "",
    contact_email: str = "",
) -> Consignee:
    """Register a consignee (clinic, pharmacy, distributor) that product may be shipped to."""
    require(actor, "inventory.manage_consignees")
    code = _required(code, "code")
    if not CONSIGNEE_CODE.fullmatch(code):
        raise InputError(
            _("use letters, digits, '-', '_' or '.' (at most 40), starting with a letter or digit"),
            where="code",
        )
    if Consignee.objects.filter(code__iexact=code).exists():
        raise InputError(_("consignee {code} already exists").format(code=code), where="code")
    consignee = Consignee.objects.create(
        code=code,
        name=_required(name, "name"),
        address=_required(address, "address"),
        site=(site or "").strip(),
        contact_name=_required(contact_name, "contact_name"),
        contact_phone=(contact_phone or "").strip(),
        contact_email=(contact_email or "").strip(),
        created_by=actor,
        created_at=_now(),
    )
    record_event(
        actor=actor,
        action="consignee.create",
        object_type="consignee",
        object_id=consignee.pk,
        after=consignee_snapshot(consignee),
    )
    return consignee


def shipment_snapshot(shipment: Shipment, containers: list[str]) -> dict:
    return {
        "number": shipment.number,
        "consignee": shipment.consignee.code,
        "address": shipment.ship_to_address,
        "site": shipment.ship_to_site,
        "contact_name": shipment.contact_name,
        "shipped_at": shipment.shipped_at.isoformat(),
        "reference": shipment.reference,
        "aliquots": containers,
    }


@transaction.atomic
def ship_aliquots(
    *,
    actor,
    aliquots: list[Aliquot | str],
    consignee: Consignee | str,
    shipped_at: dt.datetime | None = None,
    reference: str = "",
) -> Shipment:
    """Ship units to a registered consignee: one distribution record (consignee, address and site as
    they are today, date, units, who shipped). Every unit must be available or reserved, of a
    released lot, and not held; otherwise nothing is shipped."""
    require(actor, "inventory.manage_stock")
    if isinstance(consignee, str):
        code = consignee.strip()
        consignee = Consignee.objects.filter(code=code).first() if code else None
        if consignee is None:
            if not code:
                raise InputError(_("choose a consignee"), where="consignee")
            raise InputError(_("unknown consignee {code}").format(code=code), where="consignee")
    if not consignee.active:
        raise RuleViolation(_("consignee {code} is no longer active").format(code=consignee.code))
    if not aliquots:
        raise InputError(_("name at least one aliquot"), where="aliquots")
    shipped_at = shipped_at or _now()
    if timezone.is_naive(shipped_at):
        raise InputError(_("give the time with its zone"), where="shipped_at")
    if shipped_at > _now() + dt.timedelta(minutes=5):
        raise InputError(_("the shipping time is in the future"), where="shipped_at")
    locked = []
    for item in aliquots:
        aliquot = _locked_aliquot(item)
        refuse_if_held(aliquot, "ship")
        if aliquot.status not in ("available", "reserved"):
            raise RuleViolation(
                _("aliquot {code} is {status}: it cannot be shipped").format(
                    code=aliquot.container_id, status=aliquot.get_status_display()
                )
            )
        if aliquot.lot.status != "released":
            raise RuleViolation(
                _("lot {lot} is {status}: its aliquots cannot be shipped").format(
                    lot=aliquot.lot.number, status=aliquot.lot.get_status_display()
                )
            )
        if any(a.pk == aliquot.pk for a in locked):
            raise InputError(_("an aliquot is listed twice"), where="aliquots")
        locked.append(aliquot)
    shipment = Shipment.objects.create(
        number=next_number(Shipment, "SH-", width=5),  # a locked counter: no two shipments share one
        consignee=consignee,
        ship_to_address=consignee.address,
        ship_to_site=consignee.site,
        contact_name=consignee.contact_name,
        shipped_at=shipped_at,
        shipped_by=actor,
        reference=(reference or "").strip(),
        recorded_at=_now(),
    )
    for aliquot in locked:
        ShipmentItem.objects.create(shipment=shipment, aliquot=aliquot)
        _leave_storage(actor, aliquot, "shipped", shipment.number, "aliquot.ship")
    record_event(
        actor=actor,
        action="shipment.create",
        object_type="shipment",
        object_id=shipment.pk,
        after=shipment_snapshot(shipment, [a.container_id for a in locked]),
    )
    return shipment


def ship_aliquot(
    *,
    actor,
    aliquot: Aliquot | str,
    consignee: Consignee | str,
    shipped_at: dt.datetime | None = None,
    reference: str = "",
) -> Shipment:
    """One unit to one consignee (the aliquot page's Ship form)."""
    return ship_aliquots(
        actor=actor, aliquots=[aliquot], consignee=consignee, shipped_at=shipped_at, reference=reference
    )


@transaction.atomic
def reserve_aliquot(*, actor, aliquot: Aliquot | str, reason: str = "") -> Aliquot:
    """available -> reserved. The row is locked first, so of two concurrent reservations one wins."""
    require(actor, "inventory.reserve")
    aliquot = _locked_aliquot(aliquot)
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
    return _audited(actor, aliquot, "aliquot.reserve", reason, status="reserved", reason=reason)


@transaction.atomic
def unreserve_aliquot(*, actor, aliquot: Aliquot | str, reason: str = "") -> Aliquot:
    require(actor, "inventory.reserve")
    aliquot = _locked_aliquot(aliquot)
    refuse_if_held(aliquot, "release")
    if aliquot.status != "reserved":
        raise RuleViolation(_("aliquot {code} is not reserved").format(code=aliquot.container_id))
    return _audited(actor, aliquot, "aliquot.unreserve", reason, status="available", reason="")


def mark_administered(*, actor, aliquot: Aliquot, administration_number: str) -> None:
    """Called by clinical.services inside its own transaction, with the aliquot already locked and checked."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("mark_administered must run inside the administration's transaction")
    _leave_storage(actor, aliquot, "administered", administration_number, "aliquot.administer")


# --- temperature excursions ---------------------------------------------------------------


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
    excursion = TemperatureExcursion.objects.create(
        location=location,
        started_at=started_at,
        ended_at=ended_at,
        extreme_temperature_c=_decimal(extreme_temperature_c, "extreme_temperature_c", positive=False),
        description=description.strip(),
        assessment=assessment,
        recorded_by=actor,
        recorded_at=_now(),
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
        },
    )
    return excursion


# --- retention samples --------------------------------------------------------------------


def retention_period(subject: str) -> tuple[int, bool]:
    """(days, counted from expiry?) for 'lot' or 'material_lot': a RetentionPolicy row, else
    settings.EVQMS_RETENTION = {"lot": {"period_days": 730, "after_expiry": True}}, else one year after expiry."""
    policy = RetentionPolicy.objects.filter(subject=subject).first()
    if policy:
        return policy.period_days, policy.after_expiry
    configured = getattr(settings, "EVQMS_RETENTION", {}).get(subject)
    if configured:
        return int(configured["period_days"]), bool(configured.get("after_expiry", True))
    return DEFAULT_RETENTION[subject]


def retain_until(subject: str, *, taken_on: dt.date, expiry: dt.date | None) -> dt.date:
    days, after_expiry = retention_period(subject)
    start = expiry if (after_expiry and expiry) else taken_on
    return start + dt.timedelta(days=days)


@transaction.atomic
def record_retention_sample(
    *,
    actor,
    lot: Lot | None = None,
    material_lot: MaterialLot | None = None,
    aliquot: Aliquot | str | None = None,
    quantity: str = "",
    location: StorageLocation | None = None,
    taken_on: dt.date | None = None,
) -> RetentionSample:
    """Keep a sample of a product lot (an aliquot of it, which becomes 'retained') or of a material lot."""
    require(actor, "inventory.record_retention")
    taken_on = taken_on or timezone.localdate()
    if aliquot is not None:
        aliquot = _locked_aliquot(aliquot)
        if lot is not None and aliquot.lot_id != lot.pk:
            raise InputError(
                _("aliquot {code} is not from lot {lot}").format(code=aliquot.container_id, lot=lot.number),
                where="aliquot",
            )
        refuse_if_held(aliquot, "retain")
        if aliquot.status != "available":
            raise RuleViolation(
                _("aliquot {code} is {status}: it cannot become a retention sample").format(
                    code=aliquot.container_id, status=aliquot.status
                )
            )
        lot = aliquot.lot
    if (lot is None) == (material_lot is None):
        raise InputError(_("give either a product lot or a material lot"), where="lot")
    if location is not None and aliquot is None:
        location = _check_space(location)
    elif location is not None and aliquot is not None and location.pk != aliquot.location_id:
        location = _check_space(location, moving=aliquot)
    subject = "lot" if lot is not None else "material_lot"
    expiry = lot.expiry if lot is not None else material_lot.expiry
    sample = RetentionSample.objects.create(
        lot=lot,
        material_lot=material_lot,
        aliquot=aliquot,
        quantity=quantity,
        location=location or (aliquot.location if aliquot else None),
        taken_on=taken_on,
        retain_until=retain_until(subject, taken_on=taken_on, expiry=expiry),
        status="in_stock",
        recorded_by=actor,
        recorded_at=_now(),
    )
    if aliquot is not None:
        _audited(actor, aliquot, "aliquot.retain", status="retained", location=sample.location)
    record_event(
        actor=actor,
        action="retention.create",
        object_type="retention_sample",
        object_id=sample.pk,
        after=retention_snapshot(sample),
    )
    return sample


@transaction.atomic
def record_retention_not_kept(*, actor, material_lot: MaterialLot, reason: str) -> RetentionSample:
    """The documented reason why a biological material lot has no retention sample."""
    require(actor, "inventory.record_retention")
    if not (reason or "").strip():
        raise InputError(_("a reason is required"), where="reason")
    sample = RetentionSample.objects.create(
        material_lot=material_lot,
        status="not_kept",
        reason=reason.strip(),
        recorded_by=actor,
        recorded_at=_now(),
    )
    record_event(
        actor=actor,
        action="retention.not_kept",
        object_type="retention_sample",
        object_id=sample.pk,
        after=retention_snapshot(sample),
        reason=reason,
    )
    return sample


def retention_snapshot(sample: RetentionSample) -> dict:
    return {
        "lot": sample.lot.number if sample.lot_id else None,
        "material_lot": sample.material_lot.lot_number if sample.material_lot_id else None,
        "aliquot": sample.aliquot.container_id if sample.aliquot_id else None,
        "quantity": sample.quantity,
        "location": sample.location.code if sample.location_id else None,
        "taken_on": sample.taken_on.isoformat() if sample.taken_on else None,
        "retain_until": sample.retain_until.isoformat() if sample.retain_until else None,
        "status": sample.status,
        "reason": sample.reason,
    }
