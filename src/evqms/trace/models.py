"""Recalls and holds.

A recall is a signed QA decision that a lot must be recalled, with the recipients found at that
moment (administrations and shipments); its shipped units are followed one by one until each is
returned, destroyed or administered, and only then can QA close it (signed). A hold is QA's stop on
everything made from a product, a cell bank or a material lot: every lot the trace finds downstream
is held (lots.LotHold) until QA lifts the hold (signed)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from evqms.core.identifiers import unique_ignoring_case


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
    STATUSES = [("open", _("Open")), ("closed", _("Closed"))]
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default="open")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.TextField(_("closing summary"), blank=True)
    close_signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-initiated_at", "-id"]
        verbose_name = _("recall")
        constraints = [unique_ignoring_case("recall", name="recall_number_ci_uniq")]

    def __str__(self):
        return self.number


class RecallUnit(models.Model):
    """One shipped unit of a recalled lot: open until its fate is confirmed (recall effectiveness)."""

    OUTCOMES = [
        ("open", _("Open")),
        ("returned", _("Returned")),
        ("destroyed", _("Destroyed")),
        ("administered", _("Administered")),
    ]
    recall = models.ForeignKey(Recall, on_delete=models.PROTECT, related_name="units")
    aliquot = models.ForeignKey("inventory.Aliquot", on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey("inventory.Shipment", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("unit outcome"), max_length=20, choices=OUTCOMES, default="open")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    note = models.TextField(_("evidence"), blank=True)

    class Meta:
        ordering = ["recall", "aliquot__container_id"]
        constraints = [models.UniqueConstraint(fields=["recall", "aliquot"], name="recall_unit_unique")]

    def __str__(self):
        return f"{self.recall_id} {self.aliquot_id} {self.outcome}"


class Hold(models.Model):
    """QA's hold on everything downstream of a product, a cell bank or a material lot; or the lots
    chosen from an adverse event's trace (its lot and siblings), placed in one signed step."""

    SCOPES = [
        ("product", _("Product")),
        ("cell_bank", _("Cell bank")),
        ("material_lot", _("Material lot")),
        ("adverse_event", _("Adverse event")),
    ]
    STATUSES = [("active", _("Active")), ("released", _("Lifted"))]
    number = models.CharField(_("hold number"), max_length=40, unique=True)
    scope = models.CharField(_("held item"), max_length=20, choices=SCOPES)
    product = models.ForeignKey(
        "dossier.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cell_bank = models.ForeignKey(
        "dossier.CellBank", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    material_lot = models.ForeignKey(
        "dossier.MaterialLot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adverse_event = models.ForeignKey(
        "clinical.AdverseEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("code"), max_length=100)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default="active")
    lots = models.JSONField(_("lots held"), default=list)
    # A hold from an adverse event is signed when placed (password re-entered).
    signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(_("placed at"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    release_reason = models.TextField(_("reason for lifting"), blank=True)
    release_signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("hold")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(scope="adverse_event") & models.Q(adverse_event__isnull=False))
                | (~models.Q(scope="adverse_event") & models.Q(adverse_event__isnull=True)),
                name="hold_event_scope",
            )
        ]

    def __str__(self):
        return self.number


class HeldUnitDestruction(models.Model):
    """A unit in stock on hold under a recall or a QA hold, destroyed in-house by QA's signed decision
    (controlled disposal: the ordinary discard refuses a held unit)."""

    recall = models.ForeignKey(
        Recall, null=True, blank=True, on_delete=models.PROTECT, related_name="destructions"
    )
    hold = models.ForeignKey(
        Hold, null=True, blank=True, on_delete=models.PROTECT, related_name="destructions"
    )
    aliquot = models.OneToOneField("inventory.Aliquot", on_delete=models.PROTECT, related_name="+")
    location = models.CharField(_("stored at"), max_length=60, blank=True)
    reason = models.TextField(_("reason"))
    destroyed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    destroyed_at = models.DateTimeField(_("destroyed at"))
    signature = models.ForeignKey("audit.Signature", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["destroyed_at", "aliquot__container_id"]
        verbose_name = _("held unit destroyed")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(recall__isnull=False) & models.Q(hold__isnull=True))
                | (models.Q(recall__isnull=True) & models.Q(hold__isnull=False)),
                name="destruction_one_source",
            )
        ]

    def __str__(self):
        return f"{self.aliquot_id} destroyed"
