"""The dossier demo: the shared scenario codes, made through the services, idempotent."""

from __future__ import annotations

import pytest

from evqms.audit.models import AuditEvent, Signature
from evqms.dossier import demo
from evqms.dossier import models as m

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_users(make_user):
    users = {
        "operator": make_user("operator", "operator"),
        "analyst": make_user("analyst", "qc_analyst"),
        "qa": make_user("qa", "qa_reviewer"),
        "physician": make_user("physician", "physician"),
    }
    return users, {name: u.raw_password for name, u in users.items()}


def test_demo_dossier_is_complete_and_idempotent(demo_users):
    users, passwords = demo_users
    demo.load(users, passwords)
    product = m.Product.objects.get(code="ucmsc-sev-oa")
    assert product.responsible_physician == users["physician"]
    assert product.routes == ["intra_articular"] and product.origin == "allogeneic"
    donor = m.Donor.objects.get(code="D-0001")
    assert donor.eligibility == "eligible"
    assert set(donor.test_results.values_list("result", flat=True)) == {"negative"}
    assert donor.test_results.count() == 6
    wcb = m.CellBank.objects.get(code="WCB-001-01")
    assert wcb.kind == "WCB" and wcb.parent.code == "MCB-001" and wcb.parent.donor == donor
    lots = {x.lot_number: x for x in m.MaterialLot.objects.all()}
    assert {k: v.acceptance_status for k, v in lots.items()} == {
        "XF-24-001": "accepted",
        "HPL-24-07": "accepted",
        "FBS-23-11": "accepted",
    }
    assert lots["FBS-23-11"].animal_species == "bovine" and lots["FBS-23-11"].animal_tissue == "serum"
    assert lots["FBS-23-11"].animal_origin_justification
    assert lots["HPL-24-07"].is_biological and lots["XF-24-001"].animal_component_free
    v1, v2 = m.ProcessDefinition.objects.filter(product=product).order_by("version")
    # v1 is current until the lots demo has made UCEV-24-001 on it and approves the xeno-free v2.
    assert (v1.status, v2.status) == ("approved", "draft")
    assert "FBS" in " ".join(v1.steps.values_list("name", flat=True))
    assert "FBS" not in " ".join(v2.steps.values_list("name", flat=True))
    (spec,) = m.Specification.objects.filter(product=product)
    assert spec.status == "approved" and spec.attributes.count() == 18
    assert Signature.objects.filter(meaning="approval").count() == 4  # v1, spec v1, two SOPs
    # the aseptic steps name the aseptic-processing SOP, the endotoxin test its method SOP
    assert {(s.kind, s.sop) for s in v1.steps.filter(aseptic=True)} == {
        ("sterile_filtration", "SOP-EV-001"),
        ("fill", "SOP-EV-001"),
    }
    assert spec.attributes.get(code="endotoxin").method_sop == "SOP-QC-010"
    assert AuditEvent.objects.filter(action="product.create").count() == 1

    demo.approve_xeno_free_change(users, passwords)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == ("superseded", "approved")
    # v2 is approved under the change request the demo proposed and QA approved (then implemented)
    assert Signature.objects.filter(meaning="approval").count() == 6  # and the change request, v2
    assert v2.change_request.number == "CC-00001" and v2.change_request.status == "implemented"
    assert v2.change_request.quality_impact and v2.change_request.comparability_plan

    count = AuditEvent.objects.count()
    demo.load(users, passwords)
    demo.approve_xeno_free_change(users, passwords)
    assert AuditEvent.objects.count() == count
    assert m.ProcessDefinition.objects.count() == 2 and m.Specification.objects.count() == 1
