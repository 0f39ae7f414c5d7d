"""A hand-built lineage for trace tests: three levels of cell banks, shared material lots, split aliquots.

D-1 ─ MCB-1 ─┬─ WCB-1A ─ WCB-1A-X ─ L1 (3 aliquots)
             ├─ WCB-1B ─────────── L2 (2 aliquots)
             └──────────────────── L4 (1 aliquot)
D-2 ─ MCB-2 ── WCB-2A ──────────── L3 (2 aliquots)
D-3 (no bank)

materials: MED-1 in every lot; HPL-1 (human, biological) in L1 and L2; FBS-1 (bovine) in L3; ENZ-1 in L4
ADM-1: P-1 gets L1-A001 + L2-A001 (two lots, one administration); ADM-2: P-2 gets L1-A002;
ADM-3: P-3 gets L3-A001; ADM-4: P-1 gets L4-A001. AE-1 follows ADM-1.
Retention: L1-A003 kept; HPL-1 kept; FBS-1 not kept (documented reason).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from evqms.testing import factories as f


def build_lineage():
    from evqms.clinical import services as clinical
    from evqms.inventory import services as inventory
    from evqms.lots.models import MaterialUsage

    operator = f.user("trace-operator", "operator")
    physician = f.user("trace-physician", "physician")
    d1, d2 = f.donor("D-1"), f.donor("D-2")
    f.donor("D-3")
    mcb1 = f.cell_bank("MCB-1", kind="MCB", donor_obj=d1)
    wcb1a = f.cell_bank("WCB-1A", kind="WCB", parent=mcb1)
    wcb1ax = f.cell_bank("WCB-1A-X", kind="WCB", parent=wcb1a)
    wcb1b = f.cell_bank("WCB-1B", kind="WCB", parent=mcb1)
    mcb2 = f.cell_bank("MCB-2", kind="MCB", donor_obj=d2)
    wcb2a = f.cell_bank("WCB-2A", kind="WCB", parent=mcb2)
    med = f.material_lot("Xeno-free medium", "MED-1")
    hpl = f.material_lot("Human platelet lysate", "HPL-1", kind="supplement", is_biological=True)
    fbs = f.material_lot(
        "Fetal bovine serum", "FBS-1", kind="serum", animal_species="bovine", is_biological=True
    )
    enz = f.material_lot("Recombinant trypsin", "ENZ-1", kind="enzyme")
    lots = {
        "L1": f.lot("L1", status="released", bank=wcb1ax),
        "L2": f.lot("L2", status="released", bank=wcb1b),
        "L3": f.lot("L3", status="released", bank=wcb2a),
        "L4": f.lot("L4", status="released", bank=mcb1),
    }
    uses = {"L1": [med, hpl], "L2": [med, hpl], "L3": [med, fbs], "L4": [med, enz]}
    now = timezone.now()
    for number, mlots in uses.items():
        for m in mlots:
            MaterialUsage.objects.create(
                lot=lots[number],
                material_lot=m,
                quantity=Decimal("1"),
                unit="L",
                recorded_by=operator,
                recorded_at=now,
            )
    counts = {"L1": 3, "L2": 2, "L3": 2, "L4": 1}
    for number, n in counts.items():
        inventory.create_aliquots(
            actor=operator, lot=lots[number], count=n, volume_ml="1.0", particle_count="2e10", protein_ug="20"
        )
    patients = {}
    for i in (1, 2, 3):
        patients[i] = clinical.register_patient(
            actor=physician, code=f"P-{i}", clinic_identifier=f"CHART-{i}", consented_on=dt.date(2024, 6, 1)
        )
    when = now - dt.timedelta(days=3)
    adm = {
        1: clinical.record_administration(
            actor=physician,
            patient="P-1",
            aliquots=["L1-A001", "L2-A001"],
            administered_at=when,
            route="intra_articular",
            site="left knee",
            body_weight_kg="60",
        ),
        2: clinical.record_administration(
            actor=physician,
            patient="P-2",
            aliquots=["L1-A002"],
            administered_at=when,
            route="intra_articular",
        ),
        3: clinical.record_administration(
            actor=physician,
            patient="P-3",
            aliquots=["L3-A001"],
            administered_at=when,
            route="intra_articular",
        ),
        4: clinical.record_administration(
            actor=physician,
            patient="P-1",
            aliquots=["L4-A001"],
            administered_at=when + dt.timedelta(days=1),
            route="intra_articular",
        ),
    }
    ae = clinical.record_adverse_event(
        actor=physician,
        patient="P-1",
        administration=adm[1].number,
        onset=when + dt.timedelta(hours=6),
        description="Knee swelling",
        ctcae_grade=2,
        causality="possible",
        outcome="recovering",
    )
    keep_l1 = inventory.record_retention_sample(actor=operator, aliquot="L1-A003")
    keep_hpl = inventory.record_retention_sample(actor=operator, material_lot=hpl, quantity="5 mL")
    fbs_reason = inventory.record_retention_not_kept(
        actor=operator, material_lot=fbs, reason="Supplier keeps the retention sample (agreement QA-12)"
    )
    return SimpleNamespace(
        operator=operator,
        physician=physician,
        lots=lots,
        adm=adm,
        ae=ae,
        patients=patients,
        banks=dict(mcb1=mcb1, wcb1a=wcb1a, wcb1ax=wcb1ax, wcb1b=wcb1b, mcb2=mcb2, wcb2a=wcb2a),
        materials=dict(med=med, hpl=hpl, fbs=fbs, enz=enz),
        keep_l1=keep_l1,
        keep_hpl=keep_hpl,
        fbs_reason=fbs_reason,
    )


@pytest.fixture
def lineage(db):
    return build_lineage()
