"""The qualification gate: what a person lacks to record a step or a QC result, each problem named."""

import datetime as dt

import pytest

from evqms.dossier.models import ProcessStep, SpecAttribute
from evqms.training import models as m
from evqms.training import services
from evqms.training.selectors import (
    aseptic_steps_without_sop,
    matrix,
    outstanding_trainings,
    qualification_problems,
    requalifications_due,
    tasks_for,
)

pytestmark = pytest.mark.django_db


def _train(person, document, *, on=dt.date(2026, 1, 5), effective=None, trainer=None):
    return m.TrainingRecord.objects.create(
        person=person,
        document=document,
        trained_on=on,
        effective_from=effective or on,
        trainer=trainer or person,
        method="practical",
        recorded_by=trainer or person,
        recorded_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )


def _media_fill(operator, performed_on, *, result="pass", months=6, number=None):
    run = m.MediaFill.objects.create(
        number=number or f"MF-{m.MediaFill.objects.count() + 1:05d}",
        performed_on=performed_on,
        line="BSC-1 room B-201",
        units_filled=100,
        units_incubated=100,
        units_contaminated=0 if result == "pass" else 1,
        result=result,
        validity_months=months,
        validity_source="test",
        recorded_by=operator,
        recorded_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )
    return m.MediaFillParticipant.objects.create(
        media_fill=run, operator=operator, result=result, expires_on=services.add_months(performed_on, months)
    )


def _step(world, *, aseptic=True, sop="SOP-FILL-001"):
    step = world.process.steps.get(order=3)
    ProcessStep.objects.filter(pk=step.pk).update(aseptic=aseptic, sop=sop)
    step.refresh_from_db()
    return step


def test_a_step_without_sop_is_not_gated(world):
    step = world.process.steps.get(order=3)
    assert qualification_problems(world.operator, step=step, on=dt.date(2026, 3, 1)) == []


def test_training_on_an_old_version_does_not_count(world, sop):
    v2 = sop(version=2)
    _train(world.operator, v2)
    v3 = sop(version=3)
    step = _step(world, aseptic=False)
    problems = qualification_problems(world.operator, step=step, on=dt.date(2026, 3, 1))
    name = world.operator.signature_name()
    assert problems == [f"{name} is not trained on SOP-FILL-001 v3 (current version; trained on v2)"]
    _train(world.operator, v3)
    assert qualification_problems(world.operator, step=step, on=dt.date(2026, 3, 1)) == []


def test_no_training_at_all_and_no_media_fill_are_both_named(world, sop):
    sop(version=1)
    step = _step(world)
    name = world.operator.signature_name()
    assert qualification_problems(world.operator, step=step, on=dt.date(2026, 3, 1)) == [
        f"{name} is not trained on SOP-FILL-001 v1 (current version; no training recorded)",
        f"{name} has no media fill (aseptic process simulation) on record",
    ]


def test_training_counts_from_its_effective_day(world, sop):
    doc = sop(version=1)
    _train(world.operator, doc, on=dt.date(2026, 2, 1), effective=dt.date(2026, 2, 10))
    step = _step(world, aseptic=False)
    name = world.operator.signature_name()
    assert qualification_problems(world.operator, step=step, on=dt.date(2026, 2, 9)) == [
        f"{name}'s training on SOP-FILL-001 v1 takes effect only on 2026-02-10"
    ]
    assert qualification_problems(world.operator, step=step, on=dt.date(2026, 2, 10)) == []


def test_revoked_training_does_not_count(world, sop):
    doc = sop(version=1)
    record = _train(world.operator, doc)
    services.revoke_training(actor=world.qa, record=record, reason="assessment not passed")
    step = _step(world, aseptic=False)
    assert (
        "no training recorded" in qualification_problems(world.operator, step=step, on=dt.date(2026, 3, 1))[0]
    )


def test_media_fill_expiry_boundary_day(world, sop):
    # 2026-04-01 + 6 months = 2026-10-01 (hand-computed): valid through 2026-09-30, lapsed on 10-01.
    _train(world.operator, sop(version=1))
    _media_fill(world.operator, dt.date(2026, 4, 1))
    step = _step(world)
    assert qualification_problems(world.operator, step=step, on=dt.date(2026, 9, 30)) == []
    name = world.operator.signature_name()
    assert qualification_problems(world.operator, step=step, on=dt.date(2026, 10, 1)) == [
        f"{name}'s media fill qualification expired on 2026-10-01"
    ]


def test_month_end_run_lapses_on_the_last_day_of_the_shorter_month():
    # 2026-08-31 + 6 months: February 2027 has 28 days, so the qualification lapses on 2027-02-28.
    assert services.add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert services.add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)


def test_a_later_failed_media_fill_disqualifies_until_requalified(world, sop):
    _train(world.operator, sop(version=1))
    _media_fill(world.operator, dt.date(2026, 1, 10), number="MF-00001")
    _media_fill(world.operator, dt.date(2026, 3, 10), result="fail", number="MF-00002")
    step = _step(world)
    name = world.operator.signature_name()
    assert (
        qualification_problems(world.operator, step=step, on=dt.date(2026, 3, 1)) == []
    )  # before the failure
    assert qualification_problems(world.operator, step=step, on=dt.date(2026, 3, 11)) == [
        f"{name} failed media fill MF-00002 on 2026-03-10: requalification is required"
    ]


def test_a_media_fill_after_the_day_does_not_qualify_earlier_work(world, sop):
    _train(world.operator, sop(version=1))
    _media_fill(world.operator, dt.date(2026, 5, 1))
    step = _step(world)
    assert "no media fill" in qualification_problems(world.operator, step=step, on=dt.date(2026, 4, 30))[-1]


def test_attribute_method_document_gates_the_analyst(world, sop):
    lal = sop("SOP-QC-010", 1)
    attribute = world.attr("endotoxin")
    assert qualification_problems(world.analyst, attribute=attribute, on=dt.date(2026, 3, 1)) == []
    SpecAttribute.objects.filter(pk=attribute.pk).update(method_sop="SOP-QC-010")
    attribute.refresh_from_db()
    name = world.analyst.signature_name()
    assert qualification_problems(world.analyst, attribute=attribute, on=dt.date(2026, 3, 1)) == [
        f"{name} is not trained on SOP-QC-010 v1 (current version; no training recorded)"
    ]
    _train(world.analyst, lal)
    assert qualification_problems(world.analyst, attribute=attribute, on=dt.date(2026, 3, 1)) == []


def test_a_declared_document_without_an_approved_version_is_named(world, sop):
    sop(version=1, status="draft")
    step = _step(world, aseptic=False)
    assert qualification_problems(world.operator, step=step, on=dt.date(2026, 3, 1)) == [
        "SOP-FILL-001 has no approved version: no one is trained on it yet"
    ]


def test_aseptic_steps_without_sop_are_listed(world):
    _step(world, aseptic=True, sop="")
    assert [s.name for s in aseptic_steps_without_sop()] == ["Sterile filtration and fill"]


def test_matrix_states_and_filters(world, sop):
    v1 = sop(version=1)
    _train(world.operator, v1)
    sop(version=2)
    other = sop("SOP-QC-010", 1)
    _train(world.analyst, other)
    grid = matrix(on=dt.date(2026, 3, 1))
    codes = [d.code for d in grid.documents]
    assert codes == ["SOP-FILL-001", "SOP-QC-010"]
    states = {p.username: [c.state for c in cells] for p, cells in grid.rows}
    assert states["op1"] == ["outdated", "missing"]
    assert states["qc1"] == ["missing", "current"]
    only = matrix(document="SOP-QC-010", person="qc1", on=dt.date(2026, 3, 1))
    assert [p.username for p, _c in only.rows] == ["qc1"] and [d.code for d in only.documents] == [
        "SOP-QC-010"
    ]


def test_work_queue_new_version_and_requalification(world, sop):
    _train(world.operator, sop(version=1))
    v2 = sop(version=2)
    today = dt.date.today()
    _media_fill(world.operator, services.add_months(today, -6) + dt.timedelta(days=10))  # lapses in 10 days
    assert [(p.username, d.pk) for p, d, _r in outstanding_trainings()] == [("op1", v2.pk)]
    assert [p.operator.username for p in requalifications_due()] == ["op1"]
    mine = {t.kind: t for t in tasks_for(world.operator)}
    assert mine["training.due"].title == "Be trained on SOP-FILL-001 v2 (trained on v1)"
    lapses = services.add_months(services.add_months(today, -6) + dt.timedelta(days=10), 6)
    assert mine["media_fill.requalify"].due == lapses
    assert (
        mine["media_fill.requalify"].title == f"Your media fill qualification lapses on {lapses.isoformat()}"
    )
    qa = {t.kind: t for t in tasks_for(world.qa)}
    assert qa["training.due"].title.startswith("Train Op1 on SOP-FILL-001 v2")
    assert tasks_for(world.analyst) == []  # nothing of theirs is due, and they keep no training file
