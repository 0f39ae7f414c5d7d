"""What the audit trail keeps of a patient, an administration and an adverse event: exactly their
`records` projection, with the fields an inspector reads (and never the clinic's chart number)."""

from __future__ import annotations

import datetime as dt
import json

from django.utils import timezone

from evqms.audit.models import AuditEvent
from evqms.clinical import services
from evqms.clinical.records import administration_record, adverse_event_record, patient_record

WHEN = timezone.now() - dt.timedelta(days=1)


def _event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).latest("seq")


def test_each_audit_event_is_the_records_projection(world):
    _op, doc, _lot, aliquots, patient = world
    registered = json.loads(_event("patient.register").after)
    assert registered == patient_record(patient)
    assert set(registered) == {"code", "identity_hash", "birth_year", "sex"}
    assert "chart-100" not in json.dumps(registered).lower()
    codes = [aliquots[1].container_id, aliquots[0].container_id]
    adm = services.record_administration(
        actor=doc, patient=patient, aliquots=codes, administered_at=WHEN, route="intra_articular"
    )
    given = json.loads(_event("administration.create").after)
    assert given == json.loads(json.dumps(administration_record(adm, codes)))
    assert given["aliquots"] == codes and given["dose_particles"] == "40000000000"
    ae = services.record_adverse_event(
        actor=doc,
        patient=patient,
        administration=adm,
        onset=WHEN,
        description="Fever",
        ctcae_grade=1,
        causality="possible",
    )
    assert json.loads(_event("adverse_event.create").after) == adverse_event_record(ae)
    before = adverse_event_record(ae)
    ae = services.update_investigation(
        actor=doc, adverse_event=ae, investigation="Endotoxin of the retained sample", outcome="recovered"
    )
    investigated = _event("adverse_event.investigate")
    assert json.loads(investigated.before) == before
    assert json.loads(investigated.after) == adverse_event_record(ae)
    assert json.loads(investigated.after)["outcome"] == "recovered"
