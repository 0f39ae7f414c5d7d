"""Demo equipment: a grade B cleanroom and a grade C QC laboratory; an NTA, a plate reader (its
calibration overdue: a result measured on it today is refused), a biosafety cabinet (maintenance
due within the fortnight), an incubator and a −80 °C freezer that is a storage unit. Calibrations
are dated so that every demo lot's steps and QC tests fall within a valid calibration.
Idempotent: what exists is left as it is."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from evqms.equipment import services
from evqms.equipment.models import Instrument, Room

ROOMS = (
    ("CR-B01", "Cleanroom 1 (aseptic processing, around the grade A cabinet)", "B"),
    ("QC-C01", "QC laboratory", "C"),
)

# identifier, kind, name, manufacturer, room, owner, calibration interval, maintenance interval,
# calibrations (days ago), maintenance (days ago), storage range
INSTRUMENTS = (
    ("NTA-01", "nta", "NanoSight NS300", "Malvern Panalytical NS300", "QC-C01", "analyst", 180, 365,
     (300, 130), (130,), None),
    ("PR-01", "plate_reader", "Microplate reader", "Molecular Devices SpectraMax iD5", "QC-C01", "analyst",
     365, None, (380,), (), None),
    ("BSC-01", "biosafety_cabinet", "Class II biosafety cabinet (grade A)", "ESCO Airstream Class II",
     "CR-B01", "operator", 180, 90, (250, 70), (80,), None),
    ("INC-01", "incubator", "CO2 incubator", "PHCbi MCO-170AICUV", "CR-B01", "operator", 365, 180,
     (260,), (100,), None),
    ("FRZ-01", "freezer", "−80 °C freezer 1", "Thermo TSX60086", "QC-C01", "operator", 365, 365,
     (200,), (200,), ("-90", "-70")),
)  # fmt: skip


def load(users: dict) -> None:
    qa = users["qa"]
    today = timezone.localdate()
    with transaction.atomic():
        for code, name, grade in ROOMS:
            if not Room.objects.filter(code=code).exists():
                services.create_room(actor=qa, code=code, name=name, grade=grade)
    for row in INSTRUMENTS:
        identifier, kind, name, maker, room, owner, cal, maint, cals, maints, storage = row
        if Instrument.objects.filter(identifier=identifier).exists():
            continue
        with transaction.atomic():  # an instrument with its history, or none of it
            instrument = services.register_instrument(
                actor=qa,
                identifier=identifier,
                kind=kind,
                name=name,
                manufacturer=maker,
                room=Room.objects.get(code=room),
                owner=users.get(owner),
                calibration_interval_days=cal,
                maintenance_interval_days=maint,
                is_storage_unit=storage is not None,
                min_temperature_c=storage[0] if storage else None,
                max_temperature_c=storage[1] if storage else None,
            )
            recorder = users.get(owner) or qa
            for days in cals:
                services.record_calibration(
                    actor=recorder,
                    instrument=instrument,
                    performed_on=today - dt.timedelta(days=days),
                    performed_by="Vendor service engineer",
                    result="pass",
                    certificate=(
                        f"{identifier}-calibration.txt",
                        f"{identifier} calibration, pass\n".encode(),
                    ),
                )
            for days in maints:
                services.record_maintenance(
                    actor=recorder,
                    instrument=instrument,
                    performed_on=today - dt.timedelta(days=days),
                    performed_by="Vendor service engineer",
                    kind="preventive",
                    description="Preventive maintenance per the service contract",
                )
