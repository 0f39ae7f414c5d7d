"""Rooms and instruments: the register with calibration and maintenance records.

An instrument's calibration and maintenance due dates are stored on it (set by the service that
records a calibration or maintenance, from the date performed plus the instrument's interval) so
the register filters and sorts by them in one query. Whether it is overdue is decided at the
moment of use (`evqms.equipment.status`), never stored: a date passes without anyone writing.

A temperature-controlled storage unit (a -80 °C freezer) is an instrument too, with the range it
must hold; inventory links its storage locations to it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from evqms.core.identifiers import unique_ignoring_case

# EU GMP Annex 1 (2022) cleanroom grades, A the most stringent.
ROOM_GRADES = [
    ("A", _("Grade A")),
    ("B", _("Grade B")),
    ("C", _("Grade C")),
    ("D", _("Grade D")),
]

INSTRUMENT_KINDS = [
    ("nta", _("Nanoparticle tracking analyser")),
    ("plate_reader", _("Plate reader")),
    ("flow_cytometer", _("Flow cytometer")),
    ("biosafety_cabinet", _("Biosafety cabinet")),
    ("incubator", _("Incubator")),
    ("centrifuge", _("Centrifuge")),
    ("chromatography", _("Chromatography system")),
    ("balance", _("Balance")),
    ("pipette", _("Pipette")),
    ("particle_counter", _("Particle counter")),
    ("air_sampler", _("Air sampler")),
    ("freezer", _("Freezer")),
    ("refrigerator", _("Refrigerator")),
    ("ln2_tank", _("Liquid nitrogen tank")),
    ("other", _("Other")),
]

# What happens when an instrument past its calibration due date is named on a record: refused, or
# the record is kept and a deviation opened. QA sets it per instrument.
OVERDUE_POLICIES = [
    ("refuse", _("Refuse the record")),
    ("deviation", _("Record it and open a deviation")),
]

# Stored state; "calibration overdue" is derived from the due date (evqms.equipment.status).
SERVICE_STATES = [
    ("in_service", _("In service")),
    ("out_of_service", _("Out of service")),
]

CALIBRATION_RESULTS = [("pass", _("Pass")), ("fail", _("Fail"))]
MAINTENANCE_KINDS = [
    ("preventive", pgettext_lazy("maintenance", "Preventive")),
    ("corrective", pgettext_lazy("maintenance", "Corrective")),
]


class Room(models.Model):
    code = models.CharField(_("room code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    grade = models.CharField(_("cleanroom grade"), max_length=1, choices=ROOM_GRADES)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("room")
        constraints = [unique_ignoring_case("room", name="room_code_ci_uniq")]

    def __str__(self):
        return self.code


class Instrument(models.Model):
    identifier = models.CharField(_("instrument identifier"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=INSTRUMENT_KINDS)
    name = models.CharField(_("name"), max_length=200)
    manufacturer = models.CharField(_("manufacturer and model"), max_length=200, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="instruments"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Empty interval: the instrument needs no calibration (or no maintenance).
    calibration_interval_days = models.PositiveIntegerField(
        _("calibration interval (days)"), null=True, blank=True
    )
    maintenance_interval_days = models.PositiveIntegerField(
        _("maintenance interval (days)"), null=True, blank=True
    )
    calibration_due = models.DateField(_("calibration due"), null=True, blank=True)
    maintenance_due = models.DateField(_("maintenance due"), null=True, blank=True)
    overdue_policy = models.CharField(
        _("when used past its calibration due date"),
        max_length=10,
        choices=OVERDUE_POLICIES,
        default="refuse",
    )
    service_state = models.CharField(
        _("service state"), max_length=20, choices=SERVICE_STATES, default="in_service"
    )
    service_reason = models.TextField(_("reason for the service state"), blank=True)
    is_storage_unit = models.BooleanField(_("temperature-controlled storage unit"), default=False)
    min_temperature_c = models.DecimalField(
        _("lowest allowed temperature (°C)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    max_temperature_c = models.DecimalField(
        _("highest allowed temperature (°C)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["identifier"]
        verbose_name = _("instrument")
        constraints = [
            unique_ignoring_case("instrument", name="instrument_identifier_ci_uniq"),
            models.CheckConstraint(
                condition=models.Q(min_temperature_c__isnull=True)
                | models.Q(max_temperature_c__isnull=True)
                | models.Q(min_temperature_c__lte=models.F("max_temperature_c")),
                name="instrument_temperature_range_ordered",
            ),
        ]
        indexes = [models.Index(fields=["calibration_due"], name="instrument_cal_due_idx")]

    def __str__(self):
        return self.identifier


class CalibrationRecord(models.Model):
    """A calibration performed (never edited: a wrong one is corrected by recording another)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="calibrations")
    performed_on = models.DateField(_("performed on"))
    performed_by = models.CharField(_("performed by (person or service provider)"), max_length=200)
    result = models.CharField(_("result"), max_length=10, choices=CALIBRATION_RESULTS)
    next_due = models.DateField(_("next due"), null=True, blank=True)
    certificate = models.FileField(_("certificate"), upload_to="calibration/%Y/", blank=True)
    certificate_name = models.CharField(max_length=255, blank=True)
    certificate_sha256 = models.CharField(max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["instrument", "-performed_on", "-id"]
        verbose_name = _("calibration")

    def __str__(self):
        return f"{self.instrument} {self.performed_on}"


class MaintenanceRecord(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="maintenance")
    performed_on = models.DateField(_("performed on"))
    performed_by = models.CharField(_("performed by (person or service provider)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=MAINTENANCE_KINDS)
    description = models.TextField(_("work done"))
    next_due = models.DateField(_("next due"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["instrument", "-performed_on", "-id"]
        verbose_name = _("maintenance")

    def __str__(self):
        return f"{self.instrument} {self.performed_on}"
