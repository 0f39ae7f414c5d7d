"""The inventory and clinical demo loaders: idempotent, and quiet when the demo lots are absent."""

from __future__ import annotations

import pytest

from evqms.clinical import demo as clinical_demo
from evqms.clinical.models import Administration, AdverseEvent, FollowUpVisit, Patient, SafetyReport
from evqms.inventory import demo as inventory_demo
from evqms.inventory.models import Aliquot, RetentionSample
from evqms.testing import factories as f


@pytest.fixture
def users(db):
    return {
        "operator": f.user("operator", "operator"),
        "physician": f.user("physician", "physician"),
        "qa": f.user("qa", "qa_reviewer"),
    }


def test_demo_skips_quietly_without_the_demo_lots(users):
    inventory_demo.load(users)
    clinical_demo.load(users)
    assert not Aliquot.objects.exists() and not Patient.objects.exists()


def test_demo_loads_once(users):
    f.lot("UCEV-24-001", status="released")
    f.lot("UCEV-24-004", status="released")
    f.lot("UCEV-24-002", status="qc")
    f.material_lot("Human platelet lysate", "HPL-24-07", is_biological=True)
    f.material_lot("Fetal bovine serum", "FBS-23-11", animal_species="bovine", is_biological=True)
    for _ in range(2):
        inventory_demo.load(users)
        clinical_demo.load(users)
    assert Aliquot.objects.filter(lot__number="UCEV-24-001").count() == 6
    assert not Aliquot.objects.filter(lot__number="UCEV-24-002").exists()
    assert RetentionSample.objects.filter(lot__number="UCEV-24-004", status="in_stock").count() == 1
    assert (
        RetentionSample.objects.filter(material_lot__lot_number="FBS-23-11", status="not_kept").count() == 1
    )
    assert sorted(Patient.objects.values_list("code", flat=True)) == [
        "PT-0001",
        "PT-0002",
        "PT-0003",
        "PT-0004",
    ]
    # Two administrations and one mild event, then two patients followed up, each with a serious event.
    assert Administration.objects.count() == 4 and AdverseEvent.objects.count() == 3
    assert sorted(FollowUpVisit.objects.exclude(status="scheduled").values_list("status", flat=True)) == [
        "done",
        "missed",
    ]
    assert SafetyReport.objects.filter(kind="initial").count() == 2
    split = Administration.objects.get(patient__code="PT-0002")
    assert sorted(split.aliquots.values_list("lot__number", flat=True)) == ["UCEV-24-001", "UCEV-24-004"]
