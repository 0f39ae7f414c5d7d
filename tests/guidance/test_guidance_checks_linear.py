"""The three checks that index their records by lot keep the snapshot's order in what they report.

Each case has lots out of id order, records of other lots in between, and records that do not
count (unapproved deviations, a sample no longer kept), so a change in the look-up that lost the
order, a record or a filter would show.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from evqms.guidance.checks import CheckContext
from evqms.guidance.checks.base import NOT_MET, PARTLY_MET
from evqms.guidance.checks.process import critical_parameters_in_range
from evqms.guidance.checks.quality import culture_materials_xeno_free
from evqms.guidance.checks.retention import administered_lots_retained
from evqms.guidance.evidence import (
    Administration,
    Deviation,
    EvidenceSnapshot,
    Lot,
    Material,
    MaterialLot,
    ProcessDefinition,
    ProcessParameter,
    ProcessStep,
    Product,
    Release,
    RetentionSample,
    StepRecord,
)

AS_OF = dt.date(2025, 7, 1)
CTX = CheckContext(item_id="test", as_of=AS_OF)


def _lot(lot_id: str, **kwargs) -> Lot:
    return Lot(id=lot_id, process_version="1", release=Release(released_on=dt.date(2025, 1, 10)), **kwargs)


def _en(messages: list[dict[str, str]]) -> list[str]:
    return [m["en"] for m in messages]


def test_lots_without_culture_lots_are_reported_in_the_snapshots_order():
    snap = EvidenceSnapshot(
        product=Product(id="P", name="P"),
        materials=[
            Material(id="MED", name="Medium", stage="culture"),
            Material(id="BUF", name="Buffer", stage="purification"),
        ],
        material_lots=[
            MaterialLot(id="ML-1", material="MED", animal_origin="none"),
            MaterialLot(id="ML-2", material="MED", grade="xeno-free"),
            MaterialLot(id="ML-9", material="BUF", animal_origin="none"),
        ],
        lots=[
            _lot("L-C"),
            _lot("L-A", material_lots=["ML-2", "ML-1"]),
            _lot("L-B", material_lots=["ML-9"]),  # a material lot, but not a culture one
            _lot("L-D", material_lots=["ML-1"]),
        ],
    )
    result = culture_materials_xeno_free(snap, CTX)
    assert result.status == PARTLY_MET
    assert _en(result.reasons) == [
        "Lot L-C records no culture material lot.",
        "Lot L-B records no culture material lot.",
    ]
    assert _en(result.next_steps) == [
        "Record the culture material lots lot L-C consumed.",
        "Record the culture material lots lot L-B consumed.",
    ]
    # Each reference once, where it is first met (ML-1 is shared by L-A and L-D).
    assert result.evidence == ["lot L-A", "material lot ML-2", "material lot ML-1", "lot L-D"]


def test_critical_parameters_use_only_each_lots_approved_deviations():
    temp = ProcessParameter(name="temp", unit="C", min=Decimal("36"), max=Decimal("38"), critical=True)
    co2 = ProcessParameter(name="co2", unit="%", min=Decimal("4.5"), max=Decimal("5.5"), critical=True)
    snap = EvidenceSnapshot(
        product=Product(id="P", name="P"),
        processes=[
            ProcessDefinition(
                version="1", steps=[ProcessStep(name="culture", kind="culture", parameters=[temp, co2])]
            )
        ],
        lots=[
            _lot("L-2", step_records=[StepRecord(step="culture", parameters={"temp": Decimal("40")})]),
            _lot(
                "L-1",
                step_records=[
                    StepRecord(step="culture", parameters={"temp": Decimal("39"), "co2": Decimal("5")})
                ],
            ),
            _lot(
                "L-3",
                step_records=[
                    StepRecord(step="culture", parameters={"temp": Decimal("37"), "co2": Decimal("7")})
                ],
            ),
        ],
        deviations=[
            Deviation(id="D1", lot="L-1", parameter="temp", approved=False),  # not approved: no cover
            Deviation(id="D2", lot="L-2", parameter="temp", approved=True),
            Deviation(id="D3", lot="L-3", parameter="culture/co2", approved=True),
            Deviation(id="D4", lot="L-1", parameter="", approved=True),  # names no parameter
        ],
    )
    result = critical_parameters_in_range(snap, CTX)
    assert result.status == PARTLY_MET
    assert _en(result.reasons) == [
        "Lot L-2: critical parameter co2 of step culture not recorded.",
        "Lot L-1: temp = 39 C outside 36-38 with no approved deviation.",
    ]
    assert _en(result.next_steps) == [
        "Record the missing parameters of lot L-2 or open and approve a deviation.",
        "Record the missing parameters of lot L-1 or open and approve a deviation.",
    ]
    assert result.evidence == ["lot L-2", "lot L-1", "lot L-3"]


def test_retention_samples_keep_the_snapshots_order_per_lot():
    snap = EvidenceSnapshot(
        product=Product(id="P", name="P"),
        administrations=[
            Administration(id="A1", lot="L-3"),
            Administration(id="A2", lot="L-1"),
            Administration(id="A3", lot="L-2"),
        ],
        retention_samples=[
            RetentionSample(id="R3", lot="L-2"),
            RetentionSample(id="R2", lot="L-1", in_stock=False),
            RetentionSample(id="R1", lot="L-2", retain_until=AS_OF),
            RetentionSample(id="R4", lot="L-1", retain_until=AS_OF - dt.timedelta(days=1)),
        ],
    )
    result = administered_lots_retained(snap, CTX)
    assert result.status == NOT_MET
    assert _en(result.reasons) == [
        "Lot L-1 was administered; its retention sample is no longer in stock.",
        "Lot L-3 was administered but has no retention sample.",
    ]
    assert _en(result.next_steps) == [
        "Record why the retention sample of lot L-1 is gone and extend retention for future lots.",
        "Keep a retention sample of lot L-3 (same lot as administered) until its retention end.",
    ]
    assert result.evidence == ["lot L-1", "lot L-2", "retention sample R3", "retention sample R1", "lot L-3"]
