"""The CAPA demo on top of the lots demo: one closed major deviation with its closed CAPA and
effectiveness check, one open CAPA on UCEV-24-003's OOS with an action due in five days; rerun
adds nothing; the lots' signatures still apply."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.capa import demo
from evqms.capa.models import Capa
from evqms.lots import demo as lots_demo
from evqms.lots import selectors as lot_selectors
from evqms.lots.models import Deviation, Lot

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_users(make_user):
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


def test_demo_deviations_and_capa(demo_users):
    users, passwords = demo_users
    lots_demo.load(users, passwords)
    demo.load(users, passwords)
    closed, open_one = Capa.objects.order_by("number")
    assert closed.status == "closed" and closed.effectiveness_result == "effective"
    assert closed.deviations.get().classification == "major" and closed.deviations.get().status == "closed"
    assert open_one.status == "open"
    oos = open_one.deviations.get()
    assert oos.affected_lots.get().number == "UCEV-24-003" and oos.status == "open"
    assert oos.impacts.get().assessment == "reject"
    due = [a.due_on for a in open_one.actions.filter(status="open")]
    assert due == [timezone.localdate() + dt.timedelta(days=5)]
    four = Deviation.objects.get(affected_lots__number="UCEV-24-004")
    assert (four.classification, four.status) == ("minor", "closed")
    counts = (Capa.objects.count(), Deviation.objects.count())
    demo.load(users, passwords)
    assert (Capa.objects.count(), Deviation.objects.count()) == counts
    for number in ("UCEV-24-001", "UCEV-24-003", "UCEV-24-004"):
        sigs = lot_selectors.lot_detail(Lot.objects.get(number=number))["signatures"]
        assert sigs and all(s["valid"] for s in sigs), number


def test_demo_without_passwords_does_nothing(demo_users, settings, tmp_path):
    users, _passwords = demo_users
    settings.EVQMS_HOME = tmp_path
    demo.load(users)
    assert not Capa.objects.exists()
