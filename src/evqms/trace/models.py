"""Recalls: a signed QA decision that a lot must be recalled, with the recipients found at that moment."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Recall(models.Model):
    number = models.CharField(_("recall number"), max_length=40, unique=True)
    lot = models.ForeignKey("lots.Lot", on_delete=models.PROTECT, related_name="recalls")
    reason = models.TextField(_("reason"))
    previous_status = models.CharField(max_length=20)
    initiated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    initiated_at = models.DateTimeField(_("initiated at"))
    signature = models.ForeignKey("audit.Signature", on_delete=models.PROTECT, related_name="+")
    # The recipients as found when the recall was signed (patients, administrations, physicians).
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["-initiated_at", "-id"]
        verbose_name = _("recall")

    def __str__(self):
        return self.number
