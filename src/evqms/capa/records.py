"""What an audit event keeps of a CAPA (before and after) and what QA's closing signature signs."""

from __future__ import annotations

from evqms.capa.models import Capa


def capa_record(c: Capa) -> dict:
    return {
        "number": c.number,
        "title": c.title,
        "kind": c.kind,
        "description": c.description,
        "deviations": sorted(c.deviations.values_list("number", flat=True)) if c.pk else [],
        "source_reference": c.source_reference,
        "effectiveness_after_days": c.effectiveness_after_days,
        "actions": [
            {
                "id": a.pk,
                "description": a.description,
                "owner": a.owner.get_username(),
                "due_on": a.due_on,
                "status": a.status,
                "done_by": a.done_by.get_username() if a.done_by_id else None,
                "done_on": a.done_on,
                "evidence": a.evidence,
            }
            for a in c.actions.select_related("owner", "done_by").order_by("id")
        ]
        if c.pk
        else [],
        "effectiveness_result": c.effectiveness_result,
        "effectiveness_evidence": c.effectiveness_evidence,
        "effectiveness_checked_on": c.effectiveness_checked_on,
        "status": c.status,
    }


def capa_signed_record(c: Capa) -> dict:
    """The CAPA's record without its status (the closure itself), so the signature still applies."""
    record = capa_record(c)
    record.pop("status")
    return record
