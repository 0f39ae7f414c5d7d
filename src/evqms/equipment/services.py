"""Every write on rooms and instruments: the register, calibrations (with the certificate kept),
maintenance, and taking an instrument out of service and back.

A calibration or maintenance record sets the instrument's next due date (the day performed plus
its interval), so the register reads due dates without replaying the history. A failed
calibration takes the instrument out of service; only QA returns it, and only after a passing
calibration.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core import identifiers, keptfiles
from evqms.core.concurrency import require_unchanged
from evqms.core.db import lock_for_update
from evqms.core.inputs import required_text
from evqms.equipment.models import (
    CALIBRATION_RESULTS,
    INSTRUMENT_KINDS,
    MAINTENANCE_KINDS,
    OVERDUE_POLICIES,
    ROOM_GRADES,
    CalibrationRecord,
    Instrument,
    MaintenanceRecord,
    Room,
)
from evqms.equipment.records import calibration_record, instrument_record, maintenance_record, room_record
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _

# An interval longer than ten years is a typing error, not a schedule.
LONGEST_INTERVAL_DAYS = 3660


def _choice(value: str, choices, field: str) -> str:
    if value not in dict(choices):
        raise InputError(_("unknown value {value}").format(value=value), where=field)
    return value


def _interval(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise InputError(_("a whole number of days is required"), where=field) from None
    if not 1 <= days <= LONGEST_INTERVAL_DAYS:
        raise InputError(_("between 1 and {n} days").format(n=LONGEST_INTERVAL_DAYS), where=field)
    return days


def _temperature(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InputError(_("not a number: {value}").format(value=value), where=field) from None
    if not number.is_finite() or not Decimal("-273.1") <= number <= Decimal("999.9"):
        raise InputError(_("not a temperature in °C: {value}").format(value=value), where=field)
    return number.quantize(Decimal("0.1"))


def _day(value, field: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InputError(_("a date is required"), where=field)
    if value > timezone.localdate():
        raise InputError(_("{when} is in the future").format(when=value.isoformat()), where=field)
    return value


def _due_from(performed_on: dt.date, interval: int | None) -> dt.date | None:
    return performed_on + dt.timedelta(days=interval) if interval else None


# --- rooms --------------------------------------------------------------------------------


@transaction.atomic
def create_room(*, actor, code: str, name: str, grade: str, active: bool = True) -> Room:
    require(actor, "equipment.manage")
    code = identifiers.clean("room", code, field="code")
    name = required_text(name, "name", _("a name is required"))
    grade = _choice(grade, ROOM_GRADES, "grade")
    identifiers.require_unique("room", code, field="code")
    room = Room.objects.create(code=code, name=name, grade=grade, active=active)
    record_event(
        actor=actor, action="room.create", object_type="room", object_id=room.pk, after=room_record(room)
    )
    return room


@transaction.atomic
def update_room(*, actor, room: Room, name: str, grade: str, active: bool, seen: str | None = None) -> Room:
    require(actor, "equipment.manage")
    room = lock_for_update(Room.objects.filter(pk=room.pk)).get()
    before = room_record(room)
    require_unchanged(seen, before, what=_("room {code}").format(code=room.code))
    room.name = required_text(name, "name", _("a name is required"))
    room.grade = _choice(grade, ROOM_GRADES, "grade")
    room.active = bool(active)
    room.save()
    record_event(
        actor=actor,
        action="room.update",
        object_type="room",
        object_id=room.pk,
        before=before,
        after=room_record(room),
    )
    return room


# --- instruments --------------------------------------------------------------------------


def _instrument_fields(fields: dict) -> dict:
    """The checked register fields (shared by registering and editing)."""
    out = {
        "kind": _choice(fields.get("kind", ""), INSTRUMENT_KINDS, "kind"),
        "name": required_text(fields.get("name"), "name", _("a name is required")),
        "manufacturer": (fields.get("manufacturer") or "").strip(),
        "serial_number": (fields.get("serial_number") or "").strip(),
        "room": fields.get("room"),
        "owner": fields.get("owner"),
        "calibration_interval_days": _interval(
            fields.get("calibration_interval_days"), "calibration_interval_days"
        ),
        "maintenance_interval_days": _interval(
            fields.get("maintenance_interval_days"), "maintenance_interval_days"
        ),
        "overdue_policy": _choice(
            fields.get("overdue_policy") or "refuse", OVERDUE_POLICIES, "overdue_policy"
        ),
        "is_storage_unit": bool(fields.get("is_storage_unit")),
        "min_temperature_c": _temperature(fields.get("min_temperature_c"), "min_temperature_c"),
        "max_temperature_c": _temperature(fields.get("max_temperature_c"), "max_temperature_c"),
    }
    low, high = out["min_temperature_c"], out["max_temperature_c"]
    if low is not None and high is not None and low > high:
        raise InputError(_("the lowest temperature is above the highest"), where="max_temperature_c")
    if out["is_storage_unit"] and low is None and high is None:
        raise InputError(
            _("a storage unit needs the temperature range it must hold"), where="min_temperature_c"
        )
    if out["room"] is not None and not out["room"].active:
        raise InputError(_("room {room} is not in use").format(room=out["room"].code), where="room")
    return out


@transaction.atomic
def register_instrument(
    *,
    actor,
    identifier: str,
    kind: str,
    name: str,
    room: Room | None = None,
    owner=None,
    manufacturer: str = "",
    serial_number: str = "",
    calibration_interval_days: int | None = None,
    maintenance_interval_days: int | None = None,
    calibration_due: dt.date | None = None,
    maintenance_due: dt.date | None = None,
    overdue_policy: str = "refuse",
    is_storage_unit: bool = False,
    min_temperature_c=None,
    max_temperature_c=None,
) -> Instrument:
    """Add an instrument to the register. `calibration_due` / `maintenance_due` carry the due dates
    of work done before the register existed; later ones come from the records."""
    require(actor, "equipment.manage")
    identifier = identifiers.clean("instrument", identifier, field="identifier")
    fields = _instrument_fields(locals())
    identifiers.require_unique("instrument", identifier, field="identifier")
    instrument = Instrument.objects.create(
        identifier=identifier,
        calibration_due=calibration_due,
        maintenance_due=maintenance_due,
        created_by=actor,
        created_at=timezone.now(),
        **fields,
    )
    record_event(
        actor=actor,
        action="instrument.register",
        object_type="instrument",
        object_id=instrument.pk,
        after=instrument_record(instrument),
    )
    return instrument


def locked_instrument(instrument: Instrument) -> Instrument:
    return lock_for_update(Instrument.objects.filter(pk=instrument.pk)).select_related("room", "owner").get()


@transaction.atomic
def update_instrument(*, actor, instrument: Instrument, seen: str | None = None, **changes) -> Instrument:
    """Change the register entry (QA): kind, name, room, owner, intervals, overdue policy, storage
    range. A changed interval moves the due dates from the last record kept."""
    require(actor, "equipment.manage")
    instrument = locked_instrument(instrument)
    before = instrument_record(instrument)
    require_unchanged(
        seen, before, what=_("instrument {identifier}").format(identifier=instrument.identifier)
    )
    unknown = set(changes) - {
        "kind", "name", "manufacturer", "serial_number", "room", "owner", "calibration_interval_days",
        "maintenance_interval_days", "overdue_policy", "is_storage_unit", "min_temperature_c",
        "max_temperature_c", "reason",
    }  # fmt: skip
    if unknown:
        raise InputError(
            _("unknown field {field}").format(field=sorted(unknown)[0]), where=sorted(unknown)[0]
        )
    reason = (changes.pop("reason", "") or "").strip()
    fields = _instrument_fields({**_editable(instrument), **changes})
    for name, value in fields.items():
        setattr(instrument, name, value)
    last_cal = instrument.calibrations.filter(result="pass").first()
    if last_cal is not None and before["calibration_interval_days"] != fields["calibration_interval_days"]:
        instrument.calibration_due = _due_from(last_cal.performed_on, fields["calibration_interval_days"])
    last_maint = instrument.maintenance.first()
    if last_maint is not None and before["maintenance_interval_days"] != fields["maintenance_interval_days"]:
        instrument.maintenance_due = _due_from(last_maint.performed_on, fields["maintenance_interval_days"])
    instrument.save()
    after = instrument_record(instrument)
    if after == before:
        return instrument
    if before["overdue_policy"] != after["overdue_policy"] and not reason:
        raise InputError(_("a reason is required to change the overdue policy"), where="reason")
    record_event(
        actor=actor,
        action="instrument.update",
        object_type="instrument",
        object_id=instrument.pk,
        before=before,
        after=after,
        reason=reason,
    )
    return instrument


def _editable(instrument: Instrument) -> dict:
    return {
        "kind": instrument.kind,
        "name": instrument.name,
        "manufacturer": instrument.manufacturer,
        "serial_number": instrument.serial_number,
        "room": instrument.room,
        "owner": instrument.owner,
        "calibration_interval_days": instrument.calibration_interval_days,
        "maintenance_interval_days": instrument.maintenance_interval_days,
        "overdue_policy": instrument.overdue_policy,
        "is_storage_unit": instrument.is_storage_unit,
        "min_temperature_c": instrument.min_temperature_c,
        "max_temperature_c": instrument.max_temperature_c,
    }


def _set_state(actor, instrument: Instrument, state: str, reason: str, action: str, before: dict) -> None:
    instrument.service_state, instrument.service_reason = state, reason
    instrument.save(update_fields=["service_state", "service_reason"])
    record_event(
        actor=actor,
        action=action,
        object_type="instrument",
        object_id=instrument.pk,
        before=before,
        after=instrument_record(instrument),
        reason=reason,
    )


@transaction.atomic
def take_out_of_service(*, actor, instrument: Instrument, reason: str) -> Instrument:
    require(actor, "equipment.take_out_of_service")
    reason = required_text(reason, "reason", _("a reason is required"))
    instrument = locked_instrument(instrument)
    if instrument.service_state == "out_of_service":
        raise RuleViolation(
            _("instrument {instrument} is already out of service").format(instrument=instrument.identifier)
        )
    _set_state(
        actor,
        instrument,
        "out_of_service",
        reason,
        "instrument.out_of_service",
        instrument_record(instrument),
    )
    return instrument


@transaction.atomic
def return_to_service(*, actor, instrument: Instrument, reason: str) -> Instrument:
    """QA puts the instrument back in service; refused while its last calibration failed."""
    require(actor, "equipment.return_to_service")
    reason = required_text(reason, "reason", _("a reason is required"))
    instrument = locked_instrument(instrument)
    if instrument.service_state != "out_of_service":
        raise RuleViolation(
            _("instrument {instrument} is already in service").format(instrument=instrument.identifier)
        )
    last = instrument.calibrations.first()
    if last is not None and last.result == "fail":
        raise RuleViolation(
            _(
                "instrument {instrument} failed its calibration on {date}: record a passing calibration first"
            ).format(instrument=instrument.identifier, date=last.performed_on.isoformat())
        )
    _set_state(actor, instrument, "in_service", "", "instrument.in_service", instrument_record(instrument))
    return instrument


# --- calibration and maintenance ----------------------------------------------------------


def _certificate(certificate) -> tuple[str, bytes] | None:
    if certificate is None:
        return None
    if isinstance(certificate, tuple):
        name, data = certificate
        return str(name), data.encode("utf-8") if isinstance(data, str) else bytes(data)
    name = getattr(certificate, "name", None) or "certificate"
    if hasattr(certificate, "seek"):
        certificate.seek(0)
    data = b"".join(certificate.chunks()) if hasattr(certificate, "chunks") else certificate.read()
    return name, data


@keptfiles.removed_on_error  # a refused calibration leaves no certificate file
@transaction.atomic
def record_calibration(
    *,
    actor,
    instrument: Instrument,
    performed_on: dt.date,
    performed_by: str,
    result: str,
    certificate=None,
    notes: str = "",
) -> CalibrationRecord:
    """Keep a calibration with its certificate (sha256 of exactly its bytes). A pass sets the next
    due date from the interval; a fail takes the instrument out of service."""
    require(actor, "equipment.record_calibration")
    performed_on = _day(performed_on, "performed_on")
    performed_by = required_text(performed_by, "performed_by", _("say who performed the calibration"))
    result = _choice(result, CALIBRATION_RESULTS, "result")
    instrument = locked_instrument(instrument)
    before = instrument_record(instrument)
    latest = instrument.calibrations.first()
    if latest is not None and performed_on < latest.performed_on:
        raise InputError(
            _("a calibration on {date} is already recorded: a later one cannot be dated earlier").format(
                date=latest.performed_on.isoformat()
            ),
            where="performed_on",
        )
    next_due = _due_from(performed_on, instrument.calibration_interval_days) if result == "pass" else None
    calibration = CalibrationRecord(
        instrument=instrument,
        performed_on=performed_on,
        performed_by=performed_by,
        result=result,
        next_due=next_due,
        notes=(notes or "").strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    content = _certificate(certificate)
    if content is not None:
        kept = keptfiles.keep(calibration.certificate, *content)
        calibration.certificate_name, calibration.certificate_sha256 = kept.original_name, kept.sha256
    calibration.save()
    record_event(
        actor=actor,
        action="instrument.calibration",
        object_type="instrument",
        object_id=instrument.pk,
        after={"calibration_id": calibration.pk, **calibration_record(calibration)},
    )
    if result == "pass":
        instrument.calibration_due = next_due
        instrument.save(update_fields=["calibration_due"])
    else:
        instrument.service_state = "out_of_service"
        instrument.service_reason = _("calibration failed on {date}").format(date=performed_on.isoformat())
        instrument.save(update_fields=["service_state", "service_reason"])
    after = instrument_record(instrument)
    if after != before:
        record_event(
            actor=actor,
            action="instrument.update",
            object_type="instrument",
            object_id=instrument.pk,
            before=before,
            after=after,
            reason=_("calibration of {date}: {result}").format(date=performed_on.isoformat(), result=result),
        )
    return calibration


@transaction.atomic
def record_maintenance(
    *,
    actor,
    instrument: Instrument,
    performed_on: dt.date,
    performed_by: str,
    kind: str,
    description: str,
) -> MaintenanceRecord:
    require(actor, "equipment.record_maintenance")
    performed_on = _day(performed_on, "performed_on")
    performed_by = required_text(performed_by, "performed_by", _("say who did the work"))
    kind = _choice(kind, MAINTENANCE_KINDS, "kind")
    description = required_text(description, "description", _("describe the work done"))
    instrument = locked_instrument(instrument)
    before = instrument_record(instrument)
    latest = instrument.maintenance.first()
    next_due = _due_from(performed_on, instrument.maintenance_interval_days)
    maintenance = MaintenanceRecord.objects.create(
        instrument=instrument,
        performed_on=performed_on,
        performed_by=performed_by,
        kind=kind,
        description=description,
        next_due=next_due,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="instrument.maintenance",
        object_type="instrument",
        object_id=instrument.pk,
        after={"maintenance_id": maintenance.pk, **maintenance_record(maintenance)},
    )
    # A record of older work (entered late) does not move the due date back.
    if latest is None or performed_on >= latest.performed_on:
        instrument.maintenance_due = next_due
        instrument.save(update_fields=["maintenance_due"])
        after = instrument_record(instrument)
        if after != before:
            record_event(
                actor=actor,
                action="instrument.update",
                object_type="instrument",
                object_id=instrument.pk,
                before=before,
                after=after,
                reason=_("maintenance of {date}").format(date=performed_on.isoformat()),
            )
    return maintenance
