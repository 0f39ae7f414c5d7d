"""What the audit trail and the signatures keep of a change request."""

from __future__ import annotations

from evqms.changes.models import ChangeRequest


def change_request_record(cr: ChangeRequest) -> dict:
    return {
        "number": cr.number,
        "kind": cr.kind,
        "title": cr.title,
        "description": cr.description,
        "product_code": cr.product_code,
        "impact_assessment": cr.impact_assessment,
        "quality_impact": cr.quality_impact,
        "comparability_plan": cr.comparability_plan,
        "status": cr.status,
        "implementation_summary": cr.implementation_summary,
        "rejection_reason": cr.rejection_reason,
    }


def change_request_signed_record(cr: ChangeRequest) -> dict:
    """What QA's approval hashes: the proposal as assessed (not its later implementation)."""
    return {
        key: value
        for key, value in change_request_record(cr).items()
        if key not in ("status", "implementation_summary", "rejection_reason")
    }
