"""Writes of the compliance area, one module a part (risk register, attestations, QMS documents and
comparability, assessments), re-exported here.

Every function takes the acting user explicitly, checks the permission again (views check it
too), writes inside one transaction and records an audit event there. Signing functions check
the re-entered password BEFORE their transaction (a wrong password is a failed login that must
stay recorded).
"""

from __future__ import annotations

from evqms.compliance.services.assessments import evaluate, run_assessment
from evqms.compliance.services.attestations import attest, attestation_roles_of, citable_records
from evqms.compliance.services.qms_documents import approve_comparability, link_qms_document
from evqms.compliance.services.risk_register import (
    EDITABLE,
    STARTER_SCORE,
    add_risk_item,
    add_starter_hazards,
    approve_register,
    create_register,
    remove_risk_item,
    set_none_identified,
    update_risk_item,
)

__all__ = [
    "EDITABLE",
    "STARTER_SCORE",
    "add_risk_item",
    "add_starter_hazards",
    "approve_comparability",
    "approve_register",
    "attest",
    "attestation_roles_of",
    "citable_records",
    "create_register",
    "evaluate",
    "link_qms_document",
    "remove_risk_item",
    "run_assessment",
    "set_none_identified",
    "update_risk_item",
]
