"""What the audit trail keeps of a potency assay: exactly its `records` projection, with the
definition a relative potency is judged by."""

from __future__ import annotations

import json

from evqms.audit.models import AuditEvent
from evqms.core.canonical import canonical_json
from evqms.studies import services
from evqms.studies.records import potency_assay_record


def test_the_assay_event_is_the_records_projection(world):
    assay = services.create_potency_assay(
        actor=world.analyst,
        product=world.product,
        name="IL-10 induction in macrophages",
        mechanism="anti-inflammatory macrophage polarisation",
        indication="Knee osteoarthritis",
        reference_lot=world.ref,
        acceptance_low="70",
        acceptance_high="130",
        qc_attribute_code="potency",
    )
    created = json.loads(AuditEvent.objects.filter(action="potency_assay.create").latest("seq").after)
    assert created == json.loads(canonical_json(potency_assay_record(assay)))
    assert created["reference_lot"] == world.ref.number and created["product"] == world.product.code
    assert (created["acceptance_low"], created["acceptance_high"], created["model"]) == ("70", "130", "LL4")
