"""The roles of evqms. Each is a Django group; permissions are `rules` predicates over them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

OPERATOR = "operator"
QC_ANALYST = "qc_analyst"
QA_REVIEWER = "qa_reviewer"
PHYSICIAN = "physician"
AUDITOR = "auditor"
ADMINISTRATOR = "administrator"

ROLES = {
    OPERATOR: _("Operator"),
    QC_ANALYST: _("QC analyst"),
    QA_REVIEWER: _("QA reviewer"),
    PHYSICIAN: _("Physician"),
    AUDITOR: _("Auditor"),
    ADMINISTRATOR: _("Administrator"),
}

ROLE_DUTIES = {
    OPERATOR: _("records manufacturing: lots, step records, materials used, aliquots"),
    QC_ANALYST: _("enters and verifies QC results, imports instrument files"),
    QA_REVIEWER: _("approves specifications and documents, releases or rejects lots"),
    PHYSICIAN: _("records administrations and adverse events, signs attestations"),
    AUDITOR: _("reads everything, including the audit trail; changes nothing"),
    ADMINISTRATOR: _("manages users and roles"),
}
