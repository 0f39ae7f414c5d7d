"""Change control: a change to the process, a specification, a material or supplier, the facility,
equipment or a document is proposed, its impact assessed, approved by QA (signed), implemented and
closed (signed). A new process or specification version is approved only under an approved change
request (`dossier` links its versions here), and a change that may affect quality carries a
comparability plan whose record (`compliance.ComparabilityRecord`) links back to it.

The app sits below `dossier` so the dossier's approval can ask for it; it names what it changes in
words and by the versions that link to it, never by importing the areas above."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from evqms.core.identifiers import unique_ignoring_case

KINDS = [
    ("process", _("Manufacturing process")),
    ("specification", _("Specification")),
    ("material", _("Material or supplier")),
    ("facility", _("Facility")),
    ("equipment", _("Equipment")),
    ("document", _("Document")),
]

STATUSES = [
    ("draft", _("Draft")),
    ("approved", _("Approved")),
    ("implemented", _("Implemented")),
    ("closed", _("Closed")),
    ("rejected", _("Declined")),
]

# A version may be approved under a change request in these states: approved and not yet closed
# (the version's approval is part of implementing the change).
OPEN_FOR_VERSIONS = ("approved", "implemented")


class ChangeRequest(models.Model):
    number = models.CharField(_("change request number"), max_length=40, unique=True)
    kind = models.CharField(_("what changes"), max_length=20, choices=KINDS)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("the change and why"))
    # The product code in words: the dossier lies above this app (its versions link here).
    product_code = models.CharField(_("product code"), max_length=40, blank=True)
    impact_assessment = models.TextField(_("impact assessment"), blank=True)
    quality_impact = models.BooleanField(_("may change product quality"), default=False)
    comparability_plan = models.TextField(_("comparability plan"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=STATUSES, default="draft", db_index=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened at"))
    approval_signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    implementation_summary = models.TextField(_("what was implemented"), blank=True)
    implemented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    implemented_at = models.DateTimeField(_("implemented at"), null=True, blank=True)
    closure_signature = models.ForeignKey(
        "audit.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [unique_ignoring_case("change_request", name="change_request_number_ci_uniq")]

    def __str__(self):
        return self.number
