"""The demo loader on the demo scenario: register approved, physician attestation, one assessment."""

from __future__ import annotations

import pytest

from evqms.compliance import demo, selectors
from evqms.compliance.models import Assessment, Attestation, RiskRegister

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(make_user):
    from evqms.lots import demo as lots_demo
    from evqms.testing import factories as f

    users = {
        name: make_user(name, role)
        for name, role in [
            ("operator", "operator"),
            ("analyst", "qc_analyst"),
            ("analyst2", "qc_analyst"),
            ("qa", "qa_reviewer"),
            ("physician", "physician"),
        ]
    }
    product = f.product("ucmsc-sev-oa", responsible_physician=users["physician"])
    f.process(product, version=1)
    f.process(product, version=2)
    f.specification(product)
    mcb = f.cell_bank("MCB-001")
    f.cell_bank("WCB-001-01", kind="WCB", parent=mcb, donor_obj=None)
    f.material_lot("Xeno-free MSC medium", "XF-24-001")
    f.material_lot("Human platelet lysate", "HPL-24-07", kind="supplement", is_biological=True)
    f.material_lot(
        "Fetal bovine serum", "FBS-23-11", kind="serum", animal_species="bovine", is_biological=True
    )
    passwords = {name: u.raw_password for name, u in users.items()}
    lots_demo.load(users, passwords)
    return users, passwords, product


def test_demo_loads_register_attestation_and_assessment(scenario):
    users, passwords, product = scenario
    demo.load(users, passwords)
    register = RiskRegister.objects.get(product=product)
    assert register.status == "approved" and register.items.count() == 20
    high = register.items.filter(risk_class="high")
    assert {i.hazard for i in high} == {
        "Microbial contamination",
        "Endotoxin",
        "Heterogeneity: non-EV particles and co-isolates",
    }
    assert all(i.control_attributes.exists() or i.control_parameters.exists() for i in high)
    att = Attestation.objects.get(product=product)
    assert att.item_id == "JSRM-1-SC" and att.signer == users["physician"]
    stored = Assessment.objects.get(product=product, ruleset_id="jsrm-2024")
    # the demo product is also assessed against the evidence collection after administration
    collected = Assessment.objects.get(product=product, ruleset_id="evidence-collection")
    assert [i["id"] for i in collected.findings["items"]] == ["EVC-1", "EVC-2", "EVC-3", "EVC-4"]
    statuses = {i["id"]: i["status"] for i in stored.findings["items"]}
    assert statuses["JSRM-1-R1"] == "met"
    assert statuses["JSRM-1-SC"] == "met"
    # FBS-23-11 (bovine, used in process v1) has no justification in the factory: not xeno-free.
    assert statuses["JSRM-3-R2"] == "not_met"
    assert statuses["JSRM-3-R1"] == "met"  # the released lots 001 and 004
    snap_lots = {lot["id"]: lot["status"] for lot in stored.snapshot["lots"]}
    assert snap_lots == {
        "UCEV-24-001": "released",
        "UCEV-24-002": "quarantine",
        "UCEV-24-003": "rejected",
        "UCEV-24-004": "released",
        "UCEV-24-005": "in_process",  # waits at its aseptic step for a qualified operator
    }
    # 004's invalidated endotoxin result is not evidence; its passing retest is.
    four = next(lot for lot in stored.snapshot["lots"] if lot["id"] == "UCEV-24-004")
    assert [r["attribute"] for r in four["qc_results"]].count("endotoxin@v1") == 1
    assert selectors.dashboard_card(users["qa"])["value"] == f"{stored.score:.1f}"
    # Idempotent: one assessment per rule set, not repeated while the evidence is unchanged.
    demo.load(users, passwords)
    assert (RiskRegister.objects.count(), Attestation.objects.count(), Assessment.objects.count()) == (
        1,
        1,
        2,
    )


def test_demo_does_nothing_without_the_product(make_user):
    demo.load({"qa": make_user("qa", "qa_reviewer")}, {"qa": "x"})
    assert RiskRegister.objects.count() == 0 and Assessment.objects.count() == 0
