"""Environmental monitoring: sampling points in graded rooms, their schedules, the samples due and
taken, and the limits QA set in place of the shipped defaults.

A sample is one row from the day it falls due: it is then taken (its result recorded, judged
against the limit in force at the sampling time, that limit copied onto it) or recorded as missed
with a reason. Nothing is deleted; a recorded result is never overwritten.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evqms.environment.limits import GRADES, METHODS, OCCUPANCIES, VERDICTS, method_label, occupancy_label

METHOD_CHOICES = [(m, m) for m in METHODS]
OCCUPANCY_CHOICES = [(o, o) for o in OCCUPANCIES]
GRADE_CHOICES = [(g, g) for g in GRADES]
VERDICT_CHOICES = [(v, v) for v in VERDICTS]
FREQUENCIES = [
    ("working_day", _("every working day (Monday to Friday)")),
    ("daily", _("every day")),
    ("weekly", _("weekly (on the start day's weekday)")),
    ("monthly", _("monthly (on the start day's date)")),
]
SAMPLE_STATUSES = [("due", _("due")), ("taken", _("taken")), ("missed", _("missed"))]
LIMIT_SOURCES = [("annex1", _("EU GMP Annex 1 / PIC/S")), ("site", _("site"))]


class LimitSetting(models.Model):
    """A limit QA set for a grade, method and occupancy, in force for samples taken from
    `effective_from` until the next setting; before the first, the shipped default applies."""

    grade = models.CharField(_("grade"), max_length=1, choices=GRADE_CHOICES)
    method = models.CharField(_("method"), max_length=20, choices=METHOD_CHOICES)
    occupancy = models.CharField(_("occupancy"), max_length=20, choices=OCCUPANCY_CHOICES)
    alert = models.DecimalField(_("alert limit"), max_digits=14, decimal_places=3, null=True, blank=True)
    action = models.DecimalField(_("action limit"), max_digits=14, decimal_places=3, null=True, blank=True)
    alert_source = models.CharField(_("alert limit source"), max_length=10, choices=LIMIT_SOURCES)
    action_source = models.CharField(_("action limit source"), max_length=10, choices=LIMIT_SOURCES)
    reference = models.CharField(_("reference"), max_length=300, blank=True)
    effective_from = models.DateTimeField(_("in force from"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["grade", "method", "occupancy", "-effective_from", "-id"]
        indexes = [
            models.Index(fields=["grade", "method", "occupancy", "effective_from"], name="em_limit_key_idx")
        ]

    def __str__(self):
        return f"{self.grade} {self.method} {self.occupancy} @ {self.effective_from:%Y-%m-%d}"


class SamplingPoint(models.Model):
    room = models.ForeignKey("equipment.Room", on_delete=models.PROTECT, related_name="em_points")
    code = models.CharField(_("code"), max_length=40)
    location = models.CharField(_("location"), max_length=300)
    methods = models.JSONField(_("methods"), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["room__code", "code"]
        verbose_name = _("sampling point")
        constraints = [models.UniqueConstraint(Lower("code"), name="em_point_code_ci_uniq")]

    def __str__(self):
        return self.code

    def method_labels(self) -> list[str]:
        return [str(method_label(m)) for m in self.methods]


class Schedule(models.Model):
    point = models.ForeignKey(SamplingPoint, on_delete=models.PROTECT, related_name="schedules")
    method = models.CharField(_("method"), max_length=20, choices=METHOD_CHOICES)
    occupancy = models.CharField(
        _("occupancy"), max_length=20, choices=OCCUPANCY_CHOICES, default="in_operation"
    )
    frequency = models.CharField(_("frequency"), max_length=20, choices=FREQUENCIES)
    starts_on = models.DateField(_("starts on"))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["point__code", "method"]

    def __str__(self):
        return f"{self.point.code} {self.method} {self.frequency}"

    @property
    def occupancy_text(self) -> str:
        return str(occupancy_label(self.occupancy))


class Sample(models.Model):
    number = models.CharField(_("sample number"), max_length=40, unique=True)
    point = models.ForeignKey(SamplingPoint, on_delete=models.PROTECT, related_name="samples")
    method = models.CharField(_("method"), max_length=20, choices=METHOD_CHOICES)
    occupancy = models.CharField(_("occupancy"), max_length=20, choices=OCCUPANCY_CHOICES)
    schedule = models.ForeignKey(
        Schedule, null=True, blank=True, on_delete=models.PROTECT, related_name="samples"
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=SAMPLE_STATUSES, default="due")
    # missed
    missed_reason = models.TextField(_("reason missed"), blank=True)
    missed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    missed_at = models.DateTimeField(null=True, blank=True)
    # the result
    count = models.PositiveIntegerField(_("colony count (cfu)"), null=True, blank=True)
    exposure_minutes = models.PositiveIntegerField(_("exposure (minutes)"), null=True, blank=True)
    volume_litres = models.DecimalField(
        _("volume sampled (L)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    particles_per_m3 = models.BigIntegerField(_("particles per m³"), null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=3, null=True, blank=True)
    sampled_at = models.DateTimeField(_("sampled at"), null=True, blank=True)
    sampled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    verdict = models.CharField(_("verdict"), max_length=10, choices=VERDICT_CHOICES, blank=True)
    limits = models.JSONField(_("limits applied"), null=True, blank=True)  # frozen at recording
    import_sha256 = models.CharField(max_length=64, blank=True)
    deviation = models.ForeignKey(
        "lots.Deviation", null=True, blank=True, on_delete=models.PROTECT, related_name="em_samples"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        ordering = ["-due_on", "point__code", "method", "id"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="em_sample_status_due_idx"),
            models.Index(fields=["point", "method", "sampled_at"], name="em_sample_trend_idx"),
            models.Index(fields=["verdict", "reviewed_at"], name="em_sample_review_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "due_on"], name="em_sample_once_per_due_day"),
        ]

    def __str__(self):
        return self.number

    @property
    def method_text(self) -> str:
        return str(method_label(self.method))

    @property
    def occupancy_text(self) -> str:
        return str(occupancy_label(self.occupancy))
