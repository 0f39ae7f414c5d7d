"""Plain-dict records of rooms, instruments and their calibrations and maintenance: the before/after
of their audit events."""

from __future__ import annotations

from evqms.equipment.models import CalibrationRecord, Instrument, MaintenanceRecord, Room


def _day(value) -> str | None:
    return value.isoformat() if value else None


def _decimal(value) -> str | None:
    return None if value is None else str(value)


def room_record(room: Room) -> dict:
    return {"code": room.code, "name": room.name, "grade": room.grade, "active": room.active}


def instrument_record(instrument: Instrument) -> dict:
    return {
        "identifier": instrument.identifier,
        "kind": instrument.kind,
        "name": instrument.name,
        "manufacturer": instrument.manufacturer,
        "serial_number": instrument.serial_number,
        "room": instrument.room.code if instrument.room_id else None,
        "owner": instrument.owner.get_username() if instrument.owner_id else None,
        "calibration_interval_days": instrument.calibration_interval_days,
        "maintenance_interval_days": instrument.maintenance_interval_days,
        "calibration_due": _day(instrument.calibration_due),
        "maintenance_due": _day(instrument.maintenance_due),
        "overdue_policy": instrument.overdue_policy,
        "service_state": instrument.service_state,
        "service_reason": instrument.service_reason,
        "is_storage_unit": instrument.is_storage_unit,
        "min_temperature_c": _decimal(instrument.min_temperature_c),
        "max_temperature_c": _decimal(instrument.max_temperature_c),
    }


def calibration_record(calibration: CalibrationRecord) -> dict:
    return {
        "instrument": calibration.instrument.identifier,
        "performed_on": _day(calibration.performed_on),
        "performed_by": calibration.performed_by,
        "result": calibration.result,
        "next_due": _day(calibration.next_due),
        "certificate": calibration.certificate_name or None,
        "certificate_sha256": calibration.certificate_sha256 or None,
        "notes": calibration.notes,
    }


def maintenance_record(maintenance: MaintenanceRecord) -> dict:
    return {
        "instrument": maintenance.instrument.identifier,
        "performed_on": _day(maintenance.performed_on),
        "performed_by": maintenance.performed_by,
        "kind": maintenance.kind,
        "description": maintenance.description,
        "next_due": _day(maintenance.next_due),
    }
