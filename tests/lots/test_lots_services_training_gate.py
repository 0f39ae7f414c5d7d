"""The lot services ask the training gate: an aseptic step only by a trained and qualified operator,
a QC result of a gated attribute only by an analyst trained on its method document."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from evqms.dossier.models import Document, ProcessStep, SpecAttribute
from evqms.errors import RuleViolation
from evqms.lots import services
from evqms.lots.models import QCResult, QCRunControls, StepRecord
from evqms.lots.services.qc import QCEntriesRefused, QCEntry, record_qc_results
from evqms.testing import factories as f
from evqms.testing.world import passing_controls
from evqms.training import models as m
from evqms.training.services import add_months

pytestmark = pytest.mark.django_db


def _doc(code, version, status="approved"):
    return Document.objects.create(
        code=code,
        version=version,
        title=code,
        kind="sop",
        file=f"documents/{code}-{version}.txt",
        original_name="x.txt",
        sha256="0" * 64,
        status=status,
        uploaded_by=f.user("author", "operator"),
        uploaded_at=timezone.now(),
    )


def _train(person, doc, on):
    m.TrainingRecord.objects.create(
        person=person,
        document=doc,
        trained_on=on,
        effective_from=on,
        trainer=person,
        method="practical",
        recorded_by=person,
        recorded_at=timezone.now(),
    )


def _qualify(operator, on):
    run = m.MediaFill.objects.create(
        number=f"MF-{m.MediaFill.objects.count() + 1:05d}",
        performed_on=on,
        line="BSC-1",
        units_filled=10,
        units_incubated=10,
        units_contaminated=0,
        result="pass",
        validity_months=6,
        validity_source="test",
        recorded_by=operator,
        recorded_at=timezone.now(),
    )
    m.MediaFillParticipant.objects.create(
        media_fill=run, operator=operator, result="pass", expires_on=add_months(on, 6)
    )


def test_aseptic_step_refused_naming_what_is_missing_then_recorded(world):
    lot = world.new_lot()
    fill = world.process.steps.get(order=3)
    ProcessStep.objects.filter(pk=fill.pk).update(aseptic=True, sop="SOP-FILL-001")
    fill.refresh_from_db()
    _train(world.operator, _doc("SOP-FILL-001", 2, status="superseded"), dt.date(2025, 1, 1))
    v3 = _doc("SOP-FILL-001", 3)
    start = timezone.now() - dt.timedelta(hours=5)
    name = world.operator.signature_name()
    with pytest.raises(RuleViolation) as exc:
        services.record_step(actor=world.operator, lot=lot, step=fill, started_at=start, finished_at=start)
    assert str(exc.value) == (
        f"{name} is not trained on SOP-FILL-001 v3 (current version; trained on v2); "
        f"{name} has no media fill (aseptic process simulation) on record"
    )
    assert not StepRecord.objects.exists()
    # the day of the step, in local time: five hours ago is yesterday just after local midnight
    day = timezone.localtime(start).date()
    _train(world.operator, v3, day - dt.timedelta(days=30))
    _qualify(world.operator, add_months(day, -6))  # lapses on the day of the step
    with pytest.raises(RuleViolation, match=f"expired on {day.isoformat()}"):
        services.record_step(actor=world.operator, lot=lot, step=fill, started_at=start, finished_at=start)
    _qualify(world.operator, day - dt.timedelta(days=3))
    assert services.record_step(actor=world.operator, lot=lot, step=fill, started_at=start, finished_at=start)


def test_steps_without_sop_are_not_gated(world):
    lot = world.new_lot()
    culture = world.process.steps.get(order=1)
    start = timezone.now() - dt.timedelta(days=2)
    assert services.record_step(
        actor=world.operator, lot=lot, step=culture, started_at=start, finished_at=start
    )


def test_qc_result_refused_until_the_analyst_is_trained_on_the_method(world):
    lot = world.in_qc()
    endotoxin = world.attr("endotoxin")
    SpecAttribute.objects.filter(pk=endotoxin.pk).update(method_sop="SOP-QC-010")
    endotoxin.refresh_from_db()
    lal = _doc("SOP-QC-010", 1)
    tested = timezone.now() - dt.timedelta(hours=1)
    entry = QCEntry(
        lot=lot,
        attribute=endotoxin,
        tested_at=tested,
        value=D("0.1"),
        unit="EU/mL",
        controls=passing_controls(endotoxin),
    )
    with pytest.raises(QCEntriesRefused) as exc:
        record_qc_results(actor=world.analyst, entries=[entry])
    refusal = exc.value.refusals[0][1]
    assert str(refusal) == (
        f"{world.analyst.signature_name()} is not trained on SOP-QC-010 v1 (current version; no training recorded)"
    )
    assert refusal.where == "analyst"
    assert not QCResult.objects.filter(lot=lot, attribute=endotoxin).exists()
    _train(world.analyst, lal, timezone.localdate() - dt.timedelta(days=1))
    assert services.record_qc_result(
        actor=world.analyst,
        lot=lot,
        attribute=endotoxin,
        value=D("0.1"),
        unit="EU/mL",
        tested_at=tested,
        controls=passing_controls(endotoxin),
    )


def test_many_results_read_the_training_and_method_suitability_once(world):
    """Judging a file's rows writes nothing, so one analyst's training on a method and the method's
    suitability are read once for the file, not once per row (a 10,000-row import asked 2,200 times)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lots = [world.in_qc(f"UCEV-T-{i:03d}") for i in range(1, 4)]
    endotoxin = world.attr("endotoxin")
    SpecAttribute.objects.filter(pk=endotoxin.pk).update(method_sop="SOP-QC-010")
    endotoxin.refresh_from_db()
    _train(world.analyst, _doc("SOP-QC-010", 1), timezone.localdate() - dt.timedelta(days=1))
    tested = timezone.now() - dt.timedelta(hours=1)
    entries = [
        QCEntry(
            lot=lot,
            attribute=endotoxin,
            tested_at=tested,
            value=D("0.1"),
            unit="EU/mL",
            method=endotoxin.method,
            controls=passing_controls(endotoxin),
        )
        for lot in lots
    ]
    with CaptureQueriesContext(connection) as queries:
        results = record_qc_results(actor=world.analyst, entries=entries)
    assert [r.status for r in results] == ["valid"] * 3
    controls = QCRunControls.objects.filter(result__in=results)
    assert {(c.valid, c.suitability_id is not None) for c in controls} == {(True, True)}
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "training_trainingrecord"' in s for s in sql) == 1
    assert sum('FROM "lots_methodsuitability"' in s for s in sql) == 1
    # outside an import nothing is kept: the next result reads the training again
    with CaptureQueriesContext(connection) as again:
        services.record_qc_result(
            actor=world.analyst,
            lot=world.in_qc("UCEV-T-004"),
            attribute=endotoxin,
            value=D("0.1"),
            unit="EU/mL",
            tested_at=tested,
            controls=passing_controls(endotoxin),
        )
    assert sum('FROM "training_trainingrecord"' in q["sql"] for q in again.captured_queries) == 1
