"""The demo loader: the four scenario lots, through the services, idempotent."""

import datetime as dt

import pytest

from evqms.lots import demo, selectors
from evqms.lots.models import Lot, QCResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier_demo(make_user):
    """The dossier demo's records, by code (built with the factories)."""
    from evqms.testing import factories as f

    product = f.product("ucmsc-sev-oa")
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
    users = {
        name: make_user(name, role)
        for name, role in [
            ("operator", "operator"),
            ("analyst", "qc_analyst"),
            ("analyst2", "qc_analyst"),
            ("qa", "qa_reviewer"),
        ]
    }
    return users, {name: u.raw_password for name, u in users.items()}


def test_demo_makes_the_four_lots_and_is_idempotent(dossier_demo):
    users, passwords = dossier_demo
    demo.load(users, passwords)
    status = dict(Lot.objects.values_list("number", "status"))
    assert status == {
        "UCEV-24-001": "released",
        "UCEV-24-002": "qc",
        "UCEV-24-003": "rejected",
        "UCEV-24-004": "released",
        "UCEV-24-005": "in_process",
    }
    # 001: process v1 with the animal-origin serum
    one = selectors.lot_detail(Lot.objects.get(number="UCEV-24-001"))
    assert one["process"]["version"] == 1 and one["animal_components"] == ["bovine"]
    assert one["signatures"][0]["meaning"] == "release" and one["signatures"][0]["valid"]
    assert len(one["results"][0]["raw_file_sha256"]) == 64
    # its endotoxin is below the limit of quantification: "< 0.05 EU/mL" passes "< 0.5 EU/mL"
    endotoxin = QCResult.objects.get(lot__number="UCEV-24-001", attribute__code="endotoxin")
    assert (endotoxin.censor, str(endotoxin.value.normalize()), endotoxin.verdict) == ("<", "0.05", "pass")
    # 003: OOS confirmed by the retest, both valid, rejected
    three = Lot.objects.get(number="UCEV-24-003")
    endo = QCResult.objects.filter(lot=three, attribute__code="endotoxin").order_by("id")
    assert [r.verdict for r in endo] == ["fail", "fail"] and endo[1].retest_of_id == endo[0].pk
    assert three.deviations.get().source == "oos"
    # 004: the OOS invalidated with a reason, the retest passes, released
    four = QCResult.objects.filter(lot__number="UCEV-24-004", attribute__code="endotoxin").order_by("id")
    assert [(r.verdict, r.status) for r in four] == [("fail", "invalidated"), ("pass", "valid")]
    assert "Laboratory error" in four[0].invalidation_reason
    counts = (Lot.objects.count(), QCResult.objects.count())
    demo.load(users, passwords)
    assert (Lot.objects.count(), QCResult.objects.count()) == counts


def test_demo_does_nothing_without_the_dossier(make_user):
    demo.load({"qa": make_user("qa", "qa_reviewer")}, {"qa": "x"})
    assert Lot.objects.count() == 0


def test_passing_values_are_inside_the_limits(dossier_demo):
    from evqms.lots.services import evaluate_entry
    from evqms.testing import factories as f

    for attribute in f.specification(f.product("ucmsc-sev-oa")).attributes.all():
        value, text = demo.passing_value(attribute)
        entry = evaluate_entry(attribute=attribute, value=value, unit=attribute.unit, text_value=text)
        assert entry["evaluation"].verdict == "pass", attribute.code
    assert dt.date.today()


def test_demo_reads_the_passwords_from_demo_logins(dossier_demo, settings, tmp_path):
    import json

    users, passwords = dossier_demo
    settings.EVQMS_HOME = tmp_path
    (tmp_path / "demo-logins.json").write_text(json.dumps(passwords))
    demo.load(users)
    assert Lot.objects.get(number="UCEV-24-004").status == "released"


def test_demo_signatures_apply_to_the_current_records(dossier_demo):
    users, passwords = dossier_demo
    demo.load(users, passwords)
    for number in ("UCEV-24-001", "UCEV-24-003", "UCEV-24-004"):
        sigs = selectors.lot_detail(Lot.objects.get(number=number))["signatures"]
        assert len(sigs) == 1 and sigs[0]["valid"], number
