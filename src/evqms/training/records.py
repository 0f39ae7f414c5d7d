"""The training records as audited and signed: `<model>_record(obj)` is what an audit event keeps
before and after; `media_fill_signed_record` is what QA's signature on a media fill hashes."""

from __future__ import annotations

from evqms.training import models as m


def training_record(t: m.TrainingRecord) -> dict:
    return {
        "person": t.person.get_username(),
        "document": t.document.code,
        "version": t.document.version,
        "trained_on": t.trained_on,
        "effective_from": t.effective_from,
        "trainer": t.trainer.get_username(),
        "method": t.method,
        "notes": t.notes,
        "evidence_name": t.evidence_name,
        "evidence_sha256": t.evidence_sha256,
        "status": t.status,
        "revoked_reason": t.revoked_reason,
    }


def participant_record(p: m.MediaFillParticipant) -> dict:
    return {"operator": p.operator.get_username(), "result": p.result, "expires_on": p.expires_on}


def media_fill_record(f: m.MediaFill) -> dict:
    return {
        "number": f.number,
        "performed_on": f.performed_on,
        "line": f.line,
        "process_description": f.process_description,
        "units_filled": f.units_filled,
        "units_incubated": f.units_incubated,
        "units_contaminated": f.units_contaminated,
        "result": f.result,
        "validity_months": f.validity_months,
        "validity_source": f.validity_source,
        "notes": f.notes,
        "participants": [participant_record(p) for p in f.participants.order_by("operator__username")],
    }


def media_fill_signed_record(f: m.MediaFill) -> dict:
    return media_fill_record(f)
