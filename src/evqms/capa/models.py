"""A CAPA record, its actions, and its effectiveness check."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from evqms.core.identifiers import unique_ignoring_case


class Capa(models.Model):
    KINDS = [("corrective", _("Corrective")), ("preventive", _("Preventive"))]
    STATUSES = [("open", _("Open")), ("closed", _("Closed"))]
    RESULTS = [("", _("Not checked")), ("effective", _("Effective")), ("not_effective", _("Not effective"))]

    number = models.CharField(_("CAPA number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=KINDS)
    description = models.TextField(_("description"), blank=True)
    deviations = models.ManyToManyField("lots.Deviation", blank=True, related_name="capas")
    source_reference = models.CharField(
        _("complaint or audit finding"), max_length=200, blank=True
    )  # a reference as text until complaints and audits have records of their own
    effectiveness_after_days = models.PositiveIntegerField(_("effectiveness check after (days)"), default=90)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default="open")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    effectiveness_result = models.CharField(
        _("effectiveness"), max_length=16, choices=RESULTS, blank=True, default=""
    )
    effectiveness_evidence = models.TextField(_("evidence of effectiveness"), blank=True)
    effectiveness_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    effectiveness_checked_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [unique_ignoring_case("capa", name="capa_number_ci_uniq")]

    def __str__(self):
        return self.number

    def effectiveness_due_on(self) -> dt.date | None:
        """The day the effectiveness check falls due: the last action's completion plus the stated
        interval; None while an action is open or none is planned."""
        done = [a.done_on for a in self.actions.all()]
        if not done or any(d is None for d in done):
            return None
        return max(done) + dt.timedelta(days=self.effectiveness_after_days)


class CapaAction(models.Model):
    STATUSES = [("open", _("Open")), ("done", _("Done"))]

    capa = models.ForeignKey(Capa, on_delete=models.PROTECT, related_name="actions")
    description = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="capa_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=6, choices=STATUSES, default="open")
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["capa", "due_on", "id"]

    def __str__(self):
        return f"{self.capa.number}: {self.description[:40]}"
