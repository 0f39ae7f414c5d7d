"""Limits in force, points, schedules, due and missed samples, results and their review."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from evqms.audit.models import AuditEvent
from evqms.environment import selectors, services
from evqms.environment.models import Sample
from evqms.errors import InputError, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db


def test_a_result_is_judged_against_the_default_and_keeps_it(people, points, local):
    s = services.record_result(
        actor=people["analyst"], point=points["B"], method="settle_plate", sampled_at=local(2026, 11, 2),
        count=3, exposure_minutes=240,
    )  # fmt: skip
    assert s.verdict == "alert"  # grade B: site alert 2, Annex 1 action 5
    assert s.limits["action"] == "5" and s.limits["alert"] == "2"
    assert s.limits["action_source"] == "annex1" and s.limits["alert_source"] == "site"
    assert "Table 6" in s.limits["action_reference"]["en"]
    assert s.status == "taken" and s.schedule is None
    event = AuditEvent.objects.filter(action="em_sample.result", object_id=s.number).get()
    assert json.loads(event.after)["verdict"] == "alert"


def test_at_the_action_limit_is_not_action(people, points, local):
    s = services.record_result(
        actor=people["analyst"], point=points["B"], method="active_air", sampled_at=local(2026, 11, 2),
        count=10, volume_litres="1000",
    )  # fmt: skip
    assert s.value == Decimal("10.000") and s.verdict == "alert" and s.deviation is None


def test_a_limit_set_by_qa_applies_from_then_on_and_older_samples_keep_theirs(people, points, local):
    before = services.record_result(
        actor=people["analyst"], point=points["C"], method="settle_plate", sampled_at=local(2026, 11, 2),
        count=20, exposure_minutes=120,
    )  # fmt: skip
    assert before.verdict == "within"  # grade C: alert 25
    services.set_limit(
        actor=people["qa"], grade="C", method="settle_plate", occupancy="any", alert="10", action="50",
        alert_source="site", action_source="annex1", reason="trend of 2026: 95th percentile is 9 cfu",
    )  # fmt: skip
    after = services.record_result(
        actor=people["analyst"], point=points["C"], method="settle_plate", sampled_at=timezone.now(),
        count=20, exposure_minutes=120,
    )  # fmt: skip
    assert after.verdict == "alert" and after.limits["alert"] == "10"
    before.refresh_from_db()
    assert before.verdict == "within" and before.limits["alert"] == "25"
    # a result entered now for a sample taken before the change is judged by the limit then in force
    late = services.record_result(
        actor=people["analyst"], point=points["C"], method="settle_plate", sampled_at=local(2026, 11, 3),
        count=20, exposure_minutes=120,
    )  # fmt: skip
    assert late.verdict == "within"
    event = AuditEvent.objects.get(action="em_limit.set")
    assert json.loads(event.before)["alert"] == "25" and json.loads(event.after)["alert"] == "10"
    assert event.reason.startswith("trend of 2026")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"alert": "60", "action": "50"}, "alert"),
        ({"reason": " "}, "reason"),
        ({"method": "particles_5", "occupancy": "any"}, "occupancy"),
        ({"alert": "abc"}, "alert"),
    ],
)
def test_set_limit_refuses_bad_input(people, kwargs, field):
    args = dict(grade="C", method="settle_plate", occupancy="any", alert="10", action="50",
                alert_source="site", action_source="annex1", reason="CCS v3")  # fmt: skip
    args.update(kwargs)
    with pytest.raises(InputError) as exc:
        services.set_limit(actor=people["qa"], **args)
    assert exc.value.where == field


def test_only_qa_sets_limits(people):
    with pytest.raises(PermissionDenied):
        services.set_limit(actor=people["analyst"], grade="C", method="settle_plate", occupancy="any",
                           alert="10", action="50", alert_source="site", action_source="annex1", reason="x")  # fmt: skip


def test_weekly_and_working_day_schedules_plan_the_right_days_once(people, points):
    qa = people["qa"]
    services.add_schedule(actor=qa, point=points["B"], method="settle_plate", frequency="working_day",
                          starts_on=dt.date(2026, 11, 2))  # fmt: skip
    services.add_schedule(actor=qa, point=points["C"], method="settle_plate", frequency="weekly",
                          starts_on=dt.date(2026, 11, 4))  # a Wednesday  # fmt: skip
    made = services.plan_samples(
        actor=people["analyst"], start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 14)
    )
    days_b = sorted(s.due_on for s in made if s.point == points["B"])
    days_c = sorted(s.due_on for s in made if s.point == points["C"])
    # 2026-11-02..06 and 09..13 are the working days of those two weeks
    assert days_b == [dt.date(2026, 11, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]
    assert days_c == [dt.date(2026, 11, 4), dt.date(2026, 11, 11)]
    assert (
        services.plan_samples(actor=people["analyst"], start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 14))
        == []
    )


def test_a_result_fulfils_the_sample_due_that_day(people, points, local):
    services.add_schedule(actor=people["qa"], point=points["B"], method="contact_plate", frequency="daily",
                          starts_on=dt.date(2026, 11, 2))  # fmt: skip
    services.plan_samples(actor=people["analyst"], start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 3))
    s = services.record_result(actor=people["analyst"], point=points["B"], method="contact_plate",
                               sampled_at=local(2026, 11, 3, 15), count=0)  # fmt: skip
    assert s.schedule is not None and s.due_on == dt.date(2026, 11, 3)
    assert Sample.objects.filter(point=points["B"], method="contact_plate").count() == 2
    with pytest.raises(RuleViolation):
        services.record_result(actor=people["analyst"], sample=s, sampled_at=local(2026, 11, 3, 16), count=1)


def test_a_missed_sample_is_recorded_with_its_reason_and_overdue_ones_stay_visible(people, points, local):
    services.add_schedule(actor=people["qa"], point=points["C"], method="settle_plate", frequency="daily",
                          starts_on=dt.date(2026, 11, 2))  # fmt: skip
    made = services.plan_samples(
        actor=people["analyst"], start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 3)
    )
    assert {s.number for s in selectors.overdue_samples(dt.date(2026, 11, 4))} == {s.number for s in made}
    with pytest.raises(InputError) as exc:
        services.record_missed(actor=people["analyst"], sample=made[0], reason="")
    assert exc.value.where == "reason"
    missed = services.record_missed(
        actor=people["analyst"], sample=made[0], reason="incubator door alarm: room closed"
    )
    assert missed.status == "missed"
    assert [s.number for s in selectors.overdue_samples(dt.date(2026, 11, 4))] == [made[1].number]
    with pytest.raises(RuleViolation):
        services.record_result(actor=people["analyst"], sample=missed, sampled_at=local(2026, 11, 2), count=0,
                               exposure_minutes=60)  # fmt: skip


def test_review_needs_an_excursion_and_another_person(people, points, local):
    s = services.record_result(actor=people["analyst"], point=points["B"], method="particles_5",
                               occupancy="in_operation", sampled_at=local(2026, 11, 2), particles_per_m3=2000)  # fmt: skip
    assert s.verdict == "alert"
    assert [t.kind for t in selectors.tasks_for(people["qa"])] == ["em.review"]
    assert selectors.tasks_for(people["operator"]) == []
    reviewed = services.review_result(
        actor=people["qa"], sample=s, note="door left open during set-up; retrained"
    )
    assert reviewed.reviewed_by == people["qa"]
    assert selectors.tasks_for(people["qa"]) == []
    with pytest.raises(RuleViolation):
        services.review_result(actor=people["qa"], sample=s, note="again")


def test_a_point_takes_only_its_methods_and_a_unique_code(people, points, rooms, local):
    with pytest.raises(InputError) as exc:
        services.record_result(actor=people["analyst"], point=points["C"], method="active_air",
                               sampled_at=local(2026, 11, 2), count=1, volume_litres=1000)  # fmt: skip
    assert exc.value.where == "method"
    with pytest.raises(InputError) as exc:
        services.create_point(
            actor=people["qa"], room=rooms["C"], code="c1-sp01", location="x", methods=["settle_plate"]
        )
    assert exc.value.where == "code"
    with pytest.raises(PermissionDenied):
        services.record_result(actor=people["operator"], point=points["C"], method="settle_plate",
                               sampled_at=local(2026, 11, 2), count=1, exposure_minutes=60)  # fmt: skip


def test_tasks_list_samples_due_today_and_overdue_for_the_sampler(people, points):
    services.add_schedule(actor=people["qa"], point=points["C"], method="settle_plate", frequency="daily",
                          starts_on=selectors.today() - dt.timedelta(days=1))  # fmt: skip
    services.plan_samples(
        actor=people["analyst"], start=selectors.today() - dt.timedelta(days=1), end=selectors.today()
    )
    kinds = sorted(t.kind for t in selectors.tasks_for(people["analyst"]))
    assert kinds == ["em.sample_due", "em.sample_missed"]


def test_trend_uses_a_c_chart_for_plate_counts(people, points, local):
    counts = [0, 1, 0, 2, 1, 0, 0, 1, 3, 0]
    for i, c in enumerate(counts):
        services.record_result(actor=people["analyst"], point=points["C"], method="settle_plate",
                               sampled_at=local(2026, 10, 1 + i), count=c, exposure_minutes=240)  # fmt: skip
    t = selectors.trend(points["C"], "settle_plate")
    assert t["enough"] and t["chart_kind"] == "c"
    # c chart: centre c-bar = 8/10 = 0.8, UCL = 0.8 + 3 sqrt(0.8) = 3.4833 (hand-computed)
    assert t["chart"]["center"] == pytest.approx(0.8)
    assert t["chart"]["ucl"] == pytest.approx(0.8 + 3 * 0.8**0.5)
    text = selectors.trend_text(t)
    assert "10 results" in text and "highest 3" in text


def test_runs_of_clean_plates_are_not_flagged(people, points, local):
    # ten plates with no growth between two single colonies: WE4 (8 in a row below the centre) would flag them,
    # but on a count chart a run of clean plates is no signal
    for i, c in enumerate([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]):  # c-bar 1/6, UCL 1.39
        services.record_result(actor=people["analyst"], point=points["C"], method="settle_plate",
                               sampled_at=local(2026, 10, 1 + i), count=c, exposure_minutes=240)  # fmt: skip
    t = selectors.trend(points["C"], "settle_plate")
    assert t["enough"] and not any(p["flagged"] for p in t["chart"]["points"])
    assert not t["out_of_control"]
