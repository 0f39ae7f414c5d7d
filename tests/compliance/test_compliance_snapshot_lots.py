"""The lots of a product in the evidence snapshot, written out by hand for two lots: each lot keeps
its own step records, parameter values, materials, valid QC results and deviations, whatever
order the rows were stored in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from evqms.compliance.snapshot import build_snapshot
from evqms.guidance import evidence as ev
from evqms.lots.models import Deviation, StepRecord
from evqms.testing.deviations import settle_deviation
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db

D = Decimal
CULTURE, TFF, FILL = "Culture in xeno-free medium", "TFF and SEC", "Sterile filtration and fill"


def quarantined_lot(world, expiry: dt.date):
    """UCEV-T-002, in QC: two materials (the second recorded first), a pressure out of range, a
    deviation opened and closed by hand, an endotoxin result invalidated and repeated, and CD63
    negative (out of specification)."""
    from evqms.lots import services
    from evqms.testing import factories as f

    trypsin = f.material_lot("Recombinant trypsin", "TR-24-002")
    lot = services.create_lot(
        actor=world.operator,
        product=world.product,
        process=world.process,
        specification=world.spec,
        cell_bank=world.bank,
        number="UCEV-T-002",
        manufactured_on=dt.date(2024, 6, 3),
        expiry=expiry,
        volume_ml=D("10"),
    )
    for mlot, quantity in ((trypsin, "2"), (world.medium, "300")):
        services.record_material_usage(
            actor=world.operator, lot=lot, material_lot=mlot, quantity=quantity, unit="mL"
        )
    t0 = timezone.now() - dt.timedelta(days=2)
    given = {
        CULTURE: {"Culture time": "50", "Confluence at harvest": "85"},
        TFF: {"Transmembrane pressure": "1.5"},
    }
    for step in world.process.steps.order_by("order"):
        values = {p.pk: (given[step.name][p.name], p.unit) for p in step.parameters.all()}
        services.record_step(
            actor=world.operator,
            lot=lot,
            step=step,
            started_at=t0,
            finished_at=t0 + dt.timedelta(hours=1),
            values=values,
        )
    manual = services.open_deviation(actor=world.qa, lot=lot, description="label printer jammed")
    settle_deviation(manual, world.qa, resolution="relabelled, printer serviced")
    lot = services.submit_to_qc(actor=world.operator, lot=lot)
    tested = timezone.now() - dt.timedelta(minutes=5)

    def result(code, value=None, unit="", text=""):
        return services.record_qc_result(
            actor=world.analyst,
            lot=lot,
            attribute=world.attr(code),
            value=value,
            unit=unit,
            text_value=text,
            method="",  # the service records the attribute's method
            tested_at=tested,
            controls=passing_controls(world.attr(code)),
        )

    first = result("endotoxin", D("0.2"), "EU/mL")
    services.invalidate_qc_result(actor=world.qa, result=first, reason="sample haemolysed")
    result("endotoxin", D("0.3"), "EU/mL")
    result("cd63", text="negative")
    return lot


def test_snapshot_of_two_lots_is_each_lots_own_records(world):
    expiry = timezone.localdate() + dt.timedelta(days=300)
    # The second lot's rows are stored first, so row order and lot order differ.
    second = quarantined_lot(world, expiry)
    first = world.released_lot("UCEV-T-001")
    day = timezone.localdate()  # results were tested minutes ago
    # The days each step was done (the world records them a few days ago, in no room).
    days = {
        (r.lot.number, r.step.name): (timezone.localdate(r.started_at), timezone.localdate(r.finished_at))
        for r in StepRecord.objects.select_related("lot", "step")
    }

    def step(lot, name, values):
        started, finished = days[lot, name]
        return ev.StepRecord(name, values, "op1", started_on=started, finished_on=finished)

    # The marker is inferred from the attribute's code (CD63 has no coded marker in the factory).
    cd63_positive = ev.QCResult(
        attribute="cd63@v1",
        tested_on=day,
        result="positive",
        method="Western blot",
        markers=[ev.MarkerResult(marker="cd63", result="positive", category="transmembrane")],
        analyst="qc1",
    )
    expected_first = ev.Lot(
        id="UCEV-T-001",
        product="ucmsc-sev-oa",
        process_version="1",
        cell_bank="MCB-001",
        material_lots=["XF-24-001"],
        manufactured_on=dt.date(2024, 5, 1),
        status="released",
        step_records=[
            step("UCEV-T-001", CULTURE, {"Culture time": D("60"), "Confluence at harvest": D("80")}),
            step("UCEV-T-001", TFF, {"Transmembrane pressure": D("0.6")}),
            step("UCEV-T-001", FILL, {}),
        ],
        qc_results=[
            cd63_positive,
            ev.QCResult(
                attribute="endotoxin@v1",
                tested_on=day,
                value=D("0.1"),
                unit="EU/mL",
                method="LAL kinetic",
                analyst="qc1",
            ),
            ev.QCResult(
                attribute="modal_size@v1",
                tested_on=day,
                value=D("120"),
                unit="nm",
                method="NTA",
                analyst="qc1",
            ),
            ev.QCResult(
                attribute="particle_concentration@v1",
                tested_on=day,
                value=D("5e10"),
                unit="particles/mL",
                method="NTA",
                analyst="qc1",
            ),
            ev.QCResult(
                attribute="sterility@v1", tested_on=day, result="no growth", method="JP 4.06", analyst="qc1"
            ),
        ],
        release=ev.Release(
            released_on=timezone.localdate(first.released_at),
            released_by="Qa1",
            signature=f"signature {first.release_signature_id}",
        ),
        expiry=first.expiry,
    )
    expected_second = ev.Lot(
        id="UCEV-T-002",
        product="ucmsc-sev-oa",
        process_version="1",
        cell_bank="MCB-001",
        material_lots=["TR-24-002", "XF-24-001"],
        manufactured_on=dt.date(2024, 6, 3),
        status="quarantine",
        step_records=[
            step("UCEV-T-002", CULTURE, {"Culture time": D("50"), "Confluence at harvest": D("85")}),
            step("UCEV-T-002", TFF, {"Transmembrane pressure": D("1.5")}),
            step("UCEV-T-002", FILL, {}),
        ],
        qc_results=[
            ev.QCResult(
                attribute="cd63@v1",
                tested_on=day,
                result="negative",
                method="Western blot",
                markers=[ev.MarkerResult(marker="cd63", result="negative", category="transmembrane")],
                analyst="qc1",
            ),
            # The invalidated 0.2 is not evidence; its repeat is.
            ev.QCResult(
                attribute="endotoxin@v1",
                tested_on=day,
                value=D("0.3"),
                unit="EU/mL",
                method="LAL kinetic",
                analyst="qc1",
            ),
        ],
        release=None,
        expiry=expiry,
    )
    snapshot = build_snapshot(world.product)
    assert snapshot.lots == [expected_first, expected_second]
    assert second.number == "UCEV-T-002"
    stored = {d.number: d for d in Deviation.objects.filter(lot=second)}
    oos = next(d for d in stored.values() if d.source == "oos")
    assert snapshot.deviations == [
        ev.Deviation(
            id="DEV-UCEV-T-002-01",
            lot="UCEV-T-002",
            description=stored["DEV-UCEV-T-002-01"].description,
            parameter="TFF and SEC/Transmembrane pressure",
            status="open",
            approved=False,
            opened_on=day,
        ),
        ev.Deviation(
            id="DEV-UCEV-T-002-02",
            lot="UCEV-T-002",
            description="label printer jammed",
            status="closed",
            approved=True,
            opened_on=day,
        ),
        ev.Deviation(
            id=oos.number,
            lot="UCEV-T-002",
            description=oos.description,
            status="open",
            opened_on=day,
        ),
    ]
    assert oos.number == "DEV-UCEV-T-002-03"
