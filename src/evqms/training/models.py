"""Training records (a person trained on one version of a controlled document) and aseptic process
simulations (media fills) with each participating operator's result and the day it lapses.

Records are never deleted: a training record is revoked with a reason; a media fill, signed by QA
when it is recorded, stands as recorded.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

TRAINING_METHODS = [
    ("read_understood", _("Read and understood")),
    ("practical", _("Practical (on the job)")),
    ("assessment", _("Assessment")),
]
TRAINING_STATUSES = [("active", _("Active")), ("revoked", _("Revoked"))]
RESULTS = [("pass", _("Pass")), ("fail", _("Fail"))]


class TrainingRecord(models.Model):
    """`person` was trained on exactly `document` (one version); the training counts from
    `effective_from` until it is revoked. A new version of the document needs a new record."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="trainings"
    )
    document = models.ForeignKey(
        "dossier.Document", verbose_name=_("document"), on_delete=models.PROTECT, related_name="trainings"
    )
    trained_on = models.DateField(_("trained on"))
    effective_from = models.DateField(_("effective from"))
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer / assessed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    method = models.CharField(_("training method"), max_length=20, choices=TRAINING_METHODS)
    notes = models.TextField(_("notes"), blank=True)
    evidence = models.FileField(_("evidence file"), upload_to="training/%Y/", blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=TRAINING_STATUSES, default="active")
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["person__username", "document__code", "-document__version", "-trained_on"]
        constraints = [
            # One active record per person and document version; a revoked one may be trained again.
            models.UniqueConstraint(
                fields=["person", "document"],
                condition=models.Q(status="active"),
                name="training_one_active_per_version",
            )
        ]
        indexes = [models.Index(fields=["person", "status"], name="training_person_status")]

    def __str__(self):
        return f"{self.person} {self.document}"


class MediaFill(models.Model):
    """An aseptic process simulation: growth medium through the aseptic steps, units incubated and
    read. The run fails when any incubated unit grows (Annex 1's target is zero)."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    performed_on = models.DateField(_("performed on"))
    line = models.CharField(_("room / line"), max_length=200)
    process_description = models.CharField(_("process simulated"), max_length=300, blank=True)
    units_filled = models.PositiveIntegerField(_("units filled"))
    units_incubated = models.PositiveIntegerField(_("units incubated"))
    units_contaminated = models.PositiveIntegerField(_("units contaminated"))
    result = models.CharField(_("result"), max_length=10, choices=RESULTS)
    validity_months = models.PositiveSmallIntegerField(_("qualification valid for (months)"))
    validity_source = models.CharField(_("source of the interval"), max_length=300)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-performed_on", "-number"]

    def __str__(self):
        return self.number


class MediaFillParticipant(models.Model):
    """One operator's part in a media fill: their result, and the first day their qualification from
    it no longer holds (`expires_on`: the run's day + the interval in force when it was recorded)."""

    media_fill = models.ForeignKey(MediaFill, on_delete=models.PROTECT, related_name="participants")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="media_fills",
    )
    result = models.CharField(_("result"), max_length=10, choices=RESULTS)
    expires_on = models.DateField(_("qualification expires on"))

    class Meta:
        ordering = ["media_fill", "operator__username"]
        constraints = [
            models.UniqueConstraint(fields=["media_fill", "operator"], name="media_fill_operator_uniq")
        ]
        indexes = [models.Index(fields=["operator", "expires_on"], name="media_fill_operator_expiry")]

    def __str__(self):
        return f"{self.media_fill} {self.operator}: {self.result}"
