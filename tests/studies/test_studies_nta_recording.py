"""An NTA import records its QC results together: the same rows, history and audit trail as one
result at a time, in the order of the import's plan."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from evqms.audit.models import AuditEvent
from evqms.audit.selectors import verify_chain
from evqms.errors import RuleViolation
from evqms.lots.models import QCResult
from evqms.studies import services
from evqms.studies.models import NTAImport


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _export(nta_synth) -> bytes:
    videos = [
        nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=110.0, gsd=1.4, total=t)
        for t in (3.0e10, 3.2e10, 3.1e10)
    ]
    return nta_synth.nanosight_csv(videos, dilution=100.0)


def test_results_history_and_events_follow_the_plan(world, nta_synth):
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    nta = services.attach_nta_export(
        actor=world.analyst, lot=world.lot, filename="ExperimentSummary.csv", data=_export(nta_synth)
    )

    results = list(QCResult.objects.filter(lot=world.lot).order_by("pk"))
    assert [r.attribute.code for r in results] == list(nta.filled)
    events = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq"))
    assert [e.action for e in events] == ["qc_result.record"] * len(results) + ["nta.attach"]
    assert [e.object_id for e in events[:-1]] == [str(r.pk) for r in results]
    assert json.loads(events[-1].after)["qc_results"] == [r.pk for r in results]
    for result, event in zip(results, events, strict=False):
        after = json.loads(event.after)
        assert after["derived"]["statistic"] == nta.filled[result.attribute.code]
        assert after["verdict"] == result.verdict
        assert list(result.history.values_list("history_type", flat=True)) == ["+"]
    assert set(nta.qc_results.all()) == set(results)
    assert verify_chain().ok


def test_a_refused_result_writes_nothing(world, nta_synth):
    """The plan's second attribute already has a valid result: its rule refuses the import whole,
    and neither the first attribute's result nor any event, import row or link is left."""
    data = _export(nta_synth)
    services.attach_nta_export(actor=world.analyst, lot=world.lot, filename="a.csv", data=data)
    first, second = list(NTAImport.objects.get().filled)[:2]
    QCResult.objects.filter(lot=world.lot).exclude(attribute__code=second).update(status="invalidated")
    events, results = AuditEvent.objects.count(), QCResult.objects.count()

    with pytest.raises(RuleViolation, match=f"{second} already has a valid result"):
        services.attach_nta_export(actor=world.analyst2, lot=world.lot, filename="b.csv", data=data)
    assert AuditEvent.objects.count() == events
    assert QCResult.objects.count() == results
    assert not QCResult.objects.filter(lot=world.lot, attribute__code=first, status="valid").exists()
    assert NTAImport.objects.count() == 1
