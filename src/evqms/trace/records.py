"""Plain-dict records of trace rows: the before/after of their audit events and what a signature signs."""

from __future__ import annotations

from evqms.trace.models import Hold, RecallUnit


def recall_unit_record(unit: RecallUnit) -> dict:
    return {
        "recall": unit.recall.number,
        "aliquot": unit.aliquot.container_id,
        "shipment": unit.shipment.number,
        "outcome": unit.outcome,
        "confirmed_by": unit.confirmed_by.signature_name() if unit.confirmed_by_id else None,
        "confirmed_at": unit.confirmed_at.isoformat() if unit.confirmed_at else None,
        "note": unit.note,
    }


def hold_record(hold: Hold) -> dict:
    return {
        "number": hold.number,
        "scope": hold.scope,
        "subject": hold.subject,
        "reason": hold.reason,
        "status": hold.status,
        "lots": list(hold.lots),
        "release_reason": hold.release_reason,
    }
