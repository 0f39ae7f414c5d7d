"""Compliance records: the ICH Q9 risk register per product, attestations, QMS-element links,
comparability records and the stored assessments of the compliance engine.

A register version is edited while in draft and frozen once approved (signature over its
canonical record); a change after approval is a new version. An assessment keeps the rule-set
id and version, the snapshot it judged (canonical JSON) and its hash, so a later reader sees
exactly what was judged.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from evqms.guidance.risk import STAGES

STAGE_CHOICES = [(code, names["en"]) for code, names in STAGES.items()]
REGISTER_STATUSES = [("draft", _("Draft")), ("approved", _("Approved")), ("superseded", _("Superseded"))]
RISK_CLASSES = [("low", _("Low")), ("medium", _("Medium")), ("high", _("High"))]
RISK_STATUSES = [
    ("open", _("Open")),
    ("mitigated", _("Mitigated")),
    ("accepted", _("Accepted")),
    ("closed", _("Closed")),
]
ATTESTATION_ROLES = [
    ("responsible_physician", _("Responsible physician")),
    ("quality_manager", _("Quality manager")),
    ("manufacturing_manager", _("Manufacturing manager")),
]
QMS_ELEMENTS = [
    ("aseptic_processing", _("Aseptic processing SOP")),
    ("sop", _("Manufacturing SOPs")),
    ("training", _("Training")),
    ("change_control", _("Change control")),
    ("deviation_capa", _("Deviations and CAPA")),
    ("validation", _("Validation")),
    ("self_inspection", _("Self-inspection")),
    ("facility", _("Facility and environmental monitoring")),
    ("document_control", _("Document control")),
    ("complaints_recall", _("Complaints and recall")),
]
SCALE = [MinValueValidator(1), MaxValueValidator(5)]


class RiskRegister(models.Model):
    product = models.ForeignKey("dossier.Product", on_delete=models.PROTECT, related_name="risk_registers")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=20, choices=REGISTER_STATUSES, default="draft")
    none_identified = models.JSONField(
        _("stages with no hazard identified"), default=dict, blank=True, help_text=_("stage -> reason")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approval_signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["product", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="risk_register_version_uniq")
        ]
        verbose_name = _("risk register")

    def __str__(self):
        return f"{self.product.code} risk register v{self.version}"

    @property
    def code(self) -> str:
        """The register's id in snapshots and citations: one per product, across versions."""
        return f"RR-{self.product.code}"


class RiskItem(models.Model):
    register = models.ForeignKey(RiskRegister, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("risk id"), max_length=20)
    stage = models.CharField(_("stage"), max_length=30, choices=STAGE_CHOICES)
    hazard = models.CharField(_("hazard"), max_length=300)
    cause = models.TextField(_("cause"), blank=True)
    effect = models.TextField(_("effect"), blank=True)
    severity = models.PositiveSmallIntegerField(_("severity"), validators=SCALE)
    occurrence = models.PositiveSmallIntegerField(_("occurrence"), validators=SCALE)
    detectability = models.PositiveSmallIntegerField(_("detectability"), validators=SCALE)
    rpn = models.PositiveSmallIntegerField(_("risk priority number"))
    risk_class = models.CharField(_("risk class"), max_length=10, choices=RISK_CLASSES)
    control_attributes = models.ManyToManyField(
        "dossier.SpecAttribute",
        blank=True,
        related_name="risk_items",
        verbose_name=_("specification attributes"),
    )
    control_parameters = models.ManyToManyField(
        "dossier.ProcessParameter",
        blank=True,
        related_name="risk_items",
        verbose_name=_("process parameters"),
    )
    control_notes = models.TextField(_("other controls"), blank=True)
    residual_risk = models.CharField(_("residual risk"), max_length=10, choices=RISK_CLASSES, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=RISK_STATUSES, default="open")
    review_on = models.DateField(_("review date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["register", "id"]
        constraints = [models.UniqueConstraint(fields=["register", "code"], name="risk_item_code_uniq")]

    def __str__(self):
        return f"{self.code} {self.hazard}"


class Attestation(models.Model):
    """A signed statement for a guidance item no data can decide (e.g. JSRM-1-SC)."""

    product = models.ForeignKey("dossier.Product", on_delete=models.PROTECT, related_name="attestations")
    item_id = models.CharField(_("guidance item"), max_length=40)
    ruleset_id = models.CharField(_("rule set"), max_length=60)
    role = models.CharField(_("role"), max_length=30, choices=ATTESTATION_ROLES)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signature = models.ForeignKey("audit.Signature", on_delete=models.PROTECT, related_name="+")
    statement = models.TextField(_("statement"))
    cites = models.JSONField(
        _("records cited"), default=list, help_text=_("kind:id, e.g. risk_register:RR-1")
    )
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        ordering = ["product", "signed_at", "id"]
        verbose_name = _("attestation")

    def __str__(self):
        return f"ATT-{self.pk} {self.item_id}"

    @property
    def code(self) -> str:
        return f"ATT-{self.pk}"


class QMSElementDocument(models.Model):
    """Which controlled document covers which QMS element (aseptic processing, training ...)."""

    element = models.CharField(_("QMS element"), max_length=30, choices=QMS_ELEMENTS)
    document = models.ForeignKey("dossier.Document", on_delete=models.PROTECT, related_name="+")
    review_due = models.DateField(_("review due"), null=True, blank=True)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()

    class Meta:
        ordering = ["element", "id"]
        constraints = [models.UniqueConstraint(fields=["element", "document"], name="qms_element_doc_uniq")]

    def __str__(self):
        return f"{self.element}: {self.document}"


class ComparabilityRecord(models.Model):
    """The approved comparability assessment after a process change (JSRM-2-R2)."""

    process = models.OneToOneField(
        "dossier.ProcessDefinition", on_delete=models.PROTECT, related_name="comparability"
    )
    summary = models.TextField(_("summary"))
    document = models.ForeignKey(
        "dossier.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"))
    approval_signature = models.ForeignKey("audit.Signature", on_delete=models.PROTECT, related_name="+")
    # The change request behind the process version (taken from it when the record is made).
    change_request = models.ForeignKey(
        "changes.ChangeRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="comparability_records",
    )

    def __str__(self):
        return f"comparability {self.process}"


class Assessment(models.Model):
    product = models.ForeignKey("dossier.Product", on_delete=models.PROTECT, related_name="assessments")
    ruleset_id = models.CharField(_("rule set"), max_length=60)
    ruleset_version = models.CharField(_("rule-set version"), max_length=20)
    snapshot_sha256 = models.CharField(_("snapshot hash"), max_length=64)
    snapshot = models.JSONField(_("evidence snapshot"))
    findings = models.JSONField(_("findings"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    all_met = models.BooleanField(_("every applicable item met"))
    as_of = models.DateField(_("as of"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(_("assessed at"))

    class Meta:
        ordering = ["-assessed_at", "-id"]
        indexes = [
            # Every column but the snapshot and the findings, so that the latest assessments and their
            # scores are read from the index alone. SQLite keeps a row's large values in a chain of
            # overflow pages and walks it to reach any column stored after them: without this, the
            # dashboard read 20 MB per stored assessment at 1,000 lots to show one score.
            models.Index(
                fields=[
                    "product",
                    "ruleset_id",
                    "assessed_at",
                    "id",
                    "score",
                    "all_met",
                    "ruleset_version",
                    "snapshot_sha256",
                    "as_of",
                    "assessed_by",
                ],
                name="assessment_latest_idx",
            )
        ]
        verbose_name = _("assessment")

    def __str__(self):
        from evqms.core.timefmt import display_local

        return f"{self.product.code} {self.ruleset_id} {display_local(self.assessed_at)}"


class AssessmentOverview(models.Model):
    """What the compliance page reads of a stored assessment, written with it (compliance.overview):
    its findings with each item's lists cut to the page's length, and a fingerprint of each evidence
    record of its snapshot. The page then reads neither the findings nor the snapshot (70 and 130 MB
    at 10,000 lots). Assessments stored before overviews were written have none; the page reads their
    findings and snapshots instead."""

    assessment = models.OneToOneField(
        Assessment, primary_key=True, on_delete=models.CASCADE, related_name="overview"
    )
    shown = models.JSONField(_("findings as shown"))
    record_fingerprints = models.JSONField(_("evidence record fingerprints"))

    class Meta:
        verbose_name = _("assessment overview")

    def __str__(self):
        return f"overview of {self.assessment}"
