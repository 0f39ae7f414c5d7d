"""JSRM-2-R1 and 2-R2 on the database path, with real records: a released lot made in a graded
room with a calibrated cabinet by an operator with a current media fill, the room's settle plates
on the days of its steps (one at action level, its deviation closed, with a CAPA in time). One
fact changed flips exactly the check (and item) that rests on it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.compliance.snapshot import build_snapshot
from evqms.guidance import ruleset
from evqms.guidance.engine import assess

pytestmark = pytest.mark.django_db


class Quality:
    """The records around one released lot (what each test changes)."""

    def __init__(self, world):
        from evqms.capa import services as capa
        from evqms.dossier.models import ProcessStep
        from evqms.environment import services as environment
        from evqms.equipment.models import CalibrationRecord, Instrument, Room
        from evqms.lots.models import StepRecord
        from evqms.testing.deviations import settle_deviation
        from evqms.training.models import MediaFill, MediaFillParticipant

        now, today = timezone.now(), timezone.localdate()
        self.world = world
        self.lot = world.released_lot()
        qa = world.qa
        room = Room.objects.create(code="CR-B9", name="Aseptic room", grade="B")
        self.cabinet = Instrument.objects.create(
            identifier="BSC-9", kind="biosafety_cabinet", name="Cabinet", calibration_interval_days=180,
            calibration_due=today + dt.timedelta(days=80), created_by=qa, created_at=now,
        )  # fmt: skip
        self.calibration = CalibrationRecord.objects.create(
            instrument=self.cabinet, performed_on=today - dt.timedelta(days=100), performed_by="vendor",
            result="pass", next_due=today + dt.timedelta(days=80), recorded_by=qa, recorded_at=now,
        )  # fmt: skip
        # Where the lot's steps were done (recorded before the register named rooms: set here).
        records = StepRecord.objects.filter(lot=self.lot)
        records.update(room=room)
        for record in records:
            record.instruments.add(self.cabinet)
        self.step_days = sorted(
            {timezone.localdate(r.started_at) for r in records}
            | {timezone.localdate(r.finished_at) for r in records}
        )
        fill = world.process.steps.order_by("order").last()
        ProcessStep.objects.filter(pk=fill.pk).update(aseptic=True)
        media_fill = MediaFill.objects.create(
            number="MF-T0001", performed_on=today - dt.timedelta(days=30), line="CR-B9", units_filled=100,
            units_incubated=100, units_contaminated=0, result="pass", validity_months=6,
            validity_source="EU GMP Annex 1 9.33", recorded_by=qa, recorded_at=now,
        )  # fmt: skip
        self.participant = MediaFillParticipant.objects.create(
            media_fill=media_fill, operator=world.operator, result="pass",
            expires_on=today + dt.timedelta(days=150),
        )  # fmt: skip
        point = environment.create_point(
            actor=qa, room=room, code="B9-SP01", location="cabinet work surface", methods=["settle_plate"]
        )
        for day in self.step_days:
            environment.record_result(
                actor=world.analyst, point=point, method="settle_plate", count=0, exposure_minutes=240,
                sampled_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0))),
                sampled_by=world.analyst,
            )  # fmt: skip
        # The excursion: above grade B's action limit (5 cfu/4 h) on the lot's first day.
        self.excursion = environment.record_result(
            actor=world.analyst, point=point, method="settle_plate", count=7, exposure_minutes=240,
            sampled_at=timezone.make_aware(dt.datetime.combine(self.step_days[0], dt.time(11, 0))),
            sampled_by=world.analyst,
        )  # fmt: skip
        self.deviation = self.excursion.deviation
        assert list(self.deviation.affected_lots.all()) == [self.lot]
        self.capa = capa.create_capa(
            actor=qa, title="Cabinet airflow", kind="corrective", description="Check the cabinet airflow.",
            deviations=[self.deviation], effectiveness_after_days=30,
        )  # fmt: skip
        self.action = capa.add_action(
            actor=qa, capa=self.capa, description="Smoke study of the cabinet", owner=world.operator,
            due_on=today + dt.timedelta(days=10),
        )  # fmt: skip
        settle_deviation(self.deviation, qa)


@pytest.fixture
def quality(world):
    return Quality(world)


def checks_of(product) -> dict[tuple[str, str], str]:
    """{(item, check): status} of the JSRM rule set (a check listed twice keeps its last status)."""
    found = assess(build_snapshot(product), ruleset.load("jsrm-2024"))
    return {(f.item.id, c["name"]): c["status"] for f in found.findings for c in f.checks}


def findings_of(product) -> dict:
    return {f.item.id: f for f in assess(build_snapshot(product), ruleset.load("jsrm-2024")).findings}


def test_the_records_meet_the_checks_and_are_cited(quality):
    checks = checks_of(quality.world.product)
    assert checks["JSRM-2-R1", "environment_within_limits"] == "met"
    assert checks["JSRM-2-R1", "aseptic_operators_qualified"] == "met"
    assert checks["JSRM-2-R2", "instruments_calibrated"] == "met"
    assert checks["JSRM-2-R2", "deviations_closed_capa_in_time"] == "met"
    findings = findings_of(quality.world.product)
    r1, r2 = set(findings["JSRM-2-R1"].evidence), set(findings["JSRM-2-R2"].evidence)
    assert {f"EM sample {quality.excursion.number}", f"deviation {quality.deviation.number}"} <= r1
    assert "media fill MF-T0001" in r1
    assert f"calibration BSC-9 {quality.calibration.performed_on.isoformat()}" in r2
    assert f"CAPA {quality.capa.number}" in r2


def _reopen_excursion(q):
    type(q.deviation).objects.filter(pk=q.deviation.pk).update(status="open")


def _lapse_media_fill(q):
    type(q.participant).objects.filter(pk=q.participant.pk).update(expires_on=q.step_days[0])


def _expire_calibration(q):
    type(q.calibration).objects.filter(pk=q.calibration.pk).update(
        next_due=q.step_days[0] - dt.timedelta(days=1)
    )


def _capa_overdue(q):
    type(q.action).objects.filter(pk=q.action.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))


def _sample_missing(q):
    # The room-day's results are moved to another room: nothing was sampled where the lot was made.
    from evqms.environment.models import Sample, SamplingPoint
    from evqms.equipment.models import Room

    other = Room.objects.create(code="CR-D9", name="Corridor", grade="D")
    point = SamplingPoint.objects.filter(samples__isnull=False).first()
    SamplingPoint.objects.filter(pk=point.pk).update(room=other)
    assert Sample.objects.filter(point=point).exists()


@pytest.mark.parametrize(
    ("change", "item", "check"),
    [
        (_reopen_excursion, "JSRM-2-R1", "environment_within_limits"),
        (_sample_missing, "JSRM-2-R1", "environment_within_limits"),
        (_lapse_media_fill, "JSRM-2-R1", "aseptic_operators_qualified"),
        (_expire_calibration, "JSRM-2-R2", "instruments_calibrated"),
        (_capa_overdue, "JSRM-2-R2", "deviations_closed_capa_in_time"),
    ],
)
def test_one_fact_flips_exactly_its_check(quality, change, item, check):
    product = quality.world.product
    before = checks_of(product)
    change(quality)
    after = checks_of(product)
    flipped = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    if change is _reopen_excursion:  # the open deviation also names the released lot: 2-R2 sees it too
        assert flipped.pop(("JSRM-2-R2", "deviations_closed_capa_in_time")) == ("met", "not_met")
    assert flipped == {(item, check): ("met", "not_met")}


def test_the_reasons_name_the_record_and_day(quality):
    _lapse_media_fill(quality)
    _expire_calibration(quality)
    findings = findings_of(quality.world.product)
    day = quality.step_days[0].isoformat()
    assert any(
        f"media fill MF-T0001 lapsed on {day}" in r["en"] and "培地充填試験 MF-T0001" in r["ja"]
        for r in findings["JSRM-2-R1"].reasons
    )
    due = (quality.step_days[0] - dt.timedelta(days=1)).isoformat()
    assert any(
        f"instrument BSC-9 used on {day}: past its calibration due date {due}" in r["en"]
        for r in findings["JSRM-2-R2"].reasons
    )


def test_an_operator_who_touched_no_released_lot_is_no_finding(quality):
    """A lapsed media fill of an operator who recorded no step of a released lot changes nothing."""
    from evqms.training.models import MediaFill, MediaFillParticipant

    before = checks_of(quality.world.product)
    other = MediaFill.objects.create(
        number="MF-T0002", performed_on=dt.date(2020, 1, 6), line="CR-B9", units_filled=10, units_incubated=10,
        units_contaminated=1, result="fail", validity_months=6, validity_source="Annex 1",
        recorded_by=quality.world.qa, recorded_at=timezone.now(),
    )  # fmt: skip
    MediaFillParticipant.objects.create(
        media_fill=other, operator=quality.world.analyst, result="fail", expires_on=dt.date(2020, 1, 6)
    )
    assert checks_of(quality.world.product) == before


@pytest.mark.parametrize(("lang", "words"), [("en", ("EM sample", "media fill", "calibration")), ("ja", ("環境モニタリング検体", "培地充填試験", "校正"))])  # fmt: skip
def test_the_compliance_page_links_the_records(quality, client, lang, words):
    from django.urls import reverse

    from evqms.compliance import services

    services.run_assessment(actor=quality.world.qa, product=quality.world.product)
    client.force_login(quality.world.qa)
    client.post("/i18n/setlang/", {"language": lang, "next": "/"})
    html = client.get(reverse("compliance:product", args=[quality.world.product.code])).content.decode()
    media_fill = quality.participant.media_fill
    for url in (
        reverse("environment:sample", args=[quality.excursion.number]),
        reverse("training:media-fill-detail", args=[media_fill.pk]),
        reverse("equipment:instrument-detail", args=["BSC-9"]) + "#calibrations",
        reverse("deviations:detail", args=[quality.deviation.number]),
        reverse("capa:detail", args=[quality.capa.number]),
    ):
        assert f'href="{url}"' in html, url
    assert all(word in html for word in words)
