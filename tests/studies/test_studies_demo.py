"""The studies demo runs after the lots demo, through the services, and is idempotent."""

import pytest

from evqms.studies import demo, selectors
from evqms.studies.models import (
    BiodistributionStudy,
    DoseResponseStudy,
    PotencyAssay,
    PotencyRun,
    StabilityStudy,
)

pytestmark = pytest.mark.django_db


def test_demo_loads_once(make_user):
    from evqms.lots import demo as lots_demo
    from evqms.testing import factories as f

    product = f.product("ucmsc-sev-oa")
    f.process(product, version=1)
    f.process(product, version=2)
    spec = f.specification(product)
    # as in the default release template (dossier.spec_template)
    spec.attributes.create(
        code="potency_relative", name="Relative potency", method="In-vitro potency assay vs reference lot",
        kind="quantitative", unit="%", lower=50, upper=150, alert_lower=70, alert_upper=130, decimal_places=0,
        stage="release", order=99,
    )  # fmt: skip
    mcb = f.cell_bank("MCB-001")
    f.cell_bank("WCB-001-01", kind="WCB", parent=mcb, donor_obj=None)
    f.material_lot("Xeno-free MSC medium", "XF-24-001")
    f.material_lot("Human platelet lysate", "HPL-24-07", kind="supplement", is_biological=True)
    f.material_lot(
        "Fetal bovine serum", "FBS-23-11", kind="serum", animal_species="bovine", is_biological=True
    )
    roles = [
        ("operator", "operator"),
        ("analyst", "qc_analyst"),
        ("analyst2", "qc_analyst"),
        ("qa", "qa_reviewer"),
    ]
    users = {name: make_user(name, role) for name, role in roles}
    lots_demo.load(users, {name: u.raw_password for name, u in users.items()})

    demo.load(users)
    demo.load(users)
    assay = PotencyAssay.objects.get()
    assert assay.reference_lot.number == "UCEV-24-001"
    run = PotencyRun.objects.get()
    # the synthetic plate's test ED50 is 1.15 x the reference's: relative potency about 87 %
    assert 75 < float(run.relative_potency_pct) < 100 and run.parallel
    # one attribute, one number: the run is the lot's potency QC result (the assay names the
    # specification's potency_relative, not a code the specification lacks)
    assert assay.qc_attribute_code == "potency_relative"
    assert run.test_lot.number == "UCEV-24-002"
    lot_result = run.test_lot.qc_results.get(attribute__code="potency_relative", status="valid")
    assert run.qc_result_id == lot_result.pk
    assert lot_result.reported_value == round(run.relative_potency_pct)
    assert StabilityStudy.objects.get().attribute_code == "potency_relative"
    study = StabilityStudy.objects.get()
    analysis = selectors.stability_analysis(study)
    assert analysis["result"]["shelf_life"] is not None
    assert BiodistributionStudy.objects.count() == 1 and DoseResponseStudy.objects.count() == 2


def test_demo_without_upstream_adds_nothing(make_user):
    demo.load({"analyst": make_user("analyst", "qc_analyst"), "qa": make_user("qa", "qa_reviewer")})
    assert not PotencyAssay.objects.exists() and not StabilityStudy.objects.exists()
