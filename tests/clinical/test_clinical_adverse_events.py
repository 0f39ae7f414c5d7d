"""Clinical services: adverse events of an administration and tests of retained samples."""

from __future__ import annotations

import datetime as dt

import pytest

from evqms.clinical import services
from evqms.clinical.models import AdverseEvent
from evqms.errors import InputError
from evqms.inventory import services as inventory
from evqms.testing import factories as f


def test_adverse_events(world, administered):
    doc, adm = world[1], administered
    count = AdverseEvent.objects.count()
    kw = dict(
        actor=doc,
        administration=adm.number,
        onset=adm.administered_at + dt.timedelta(hours=5),
        description="Swelling",
        causality="possible",
    )
    with pytest.raises(InputError, match="unknown patient P-999"):
        services.record_adverse_event(patient="P-999", ctcae_grade=2, **kw)
    with pytest.raises(InputError, match="1 to 5"):
        services.record_adverse_event(patient="P-100", ctcae_grade=6, **kw)
    with pytest.raises(InputError, match="fatal"):
        services.record_adverse_event(patient="P-100", ctcae_grade=5, **kw)
    services.register_patient(
        actor=doc, code="P-OTHER", clinic_identifier="chart-other", consented_on=dt.date(2024, 1, 1)
    )
    with pytest.raises(InputError, match="not one of patient P-OTHER"):
        services.record_adverse_event(patient="P-OTHER", ctcae_grade=2, **kw)
    assert AdverseEvent.objects.count() == count
    ae = services.record_adverse_event(patient="P-100", ctcae_grade=4, outcome="recovering", **kw)
    assert ae.serious is True and ae.number.startswith("AE-")


def test_retained_sample_test_must_be_of_the_administered_lot(world, reported):
    op, doc, lot, aliquots, _p = world
    ae = reported
    kept = inventory.record_retention_sample(actor=op, aliquot=aliquots[3])
    other = f.lot("L-OTHER", status="released")
    (oa,) = inventory.create_aliquots(actor=op, lot=other, count=1, volume_ml="1")
    unrelated = inventory.record_retention_sample(actor=op, aliquot=oa)
    with pytest.raises(InputError, match="not of the administered lot"):
        services.record_sample_test(
            actor=doc,
            adverse_event=ae,
            retention_sample=unrelated,
            test="Endotoxin",
            result="<0.05 EU/mL",
            tested_on=dt.date.today(),
        )
    row = services.record_sample_test(
        actor=doc,
        adverse_event=ae,
        retention_sample=kept,
        test="Endotoxin (LAL)",
        result="<0.05 EU/mL",
        tested_on=dt.date.today(),
        conclusion="Not the cause",
    )
    assert row.retention_sample.lot == lot
