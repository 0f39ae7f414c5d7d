"""Demo environmental monitoring (idempotent, through the services): sampling points in the demo's
graded rooms (the equipment demo's; two are made if there are none), their schedules, and the
history up to yesterday (at least a month, from the week before the last lot made in the grade B
room): results from the QC analysts, one sample missed with its reason,
alert-level results reviewed by QA, and one action-level settle plate in the grade B room on a day
a lot had a step recorded there, which opened a deviation (left open: its investigation and CAPA
belong to the deviation). Today's samples are left due.
"""

from __future__ import annotations

import datetime as dt
import random
import sys

from django.db import transaction
from django.utils import timezone

from evqms.environment import services
from evqms.environment.models import Sample, SamplingPoint
from evqms.equipment.models import Room

HISTORY_DAYS = 30
LOOKBACK_DAYS = 130  # the demo lots are made in the months before the load date


def _note(message: str) -> None:
    print(f"environment demo: {message}", file=sys.stderr)


def _rooms(users) -> tuple[Room | None, Room | None]:
    """The grade B room and a second graded room (C, else D, else A)."""
    rooms = list(Room.objects.filter(active=True).order_by("code"))
    if not rooms:
        from evqms.equipment import services as equipment

        admin = users.get("admin") or users.get("qa")
        try:
            rooms = [
                equipment.create_room(actor=admin, code="CR-B01", name="Aseptic processing room", grade="B"),
                equipment.create_room(actor=admin, code="CR-C01", name="Cell culture room", grade="C"),
            ]
        except Exception as exc:  # noqa: BLE001 - the demo goes on without environmental monitoring
            _note(f"no rooms and none could be made ({exc})")
            return None, None
    grade_b = next((r for r in rooms if r.grade == "B"), None)
    other = next((r for g in "CDA" for r in rooms if r.grade == g), None)
    return grade_b, other


POINTS = {
    # (suffix, location, methods, schedules: method -> (frequency, state))
    "B": [
        ("SP01", "Biosafety cabinet work surface, beside the fill needle",
         ["settle_plate", "contact_plate", "active_air", "particles_0_5", "particles_5"],
         {"settle_plate": "working_day", "particles_0_5": "working_day", "particles_5": "working_day",
          "active_air": "weekly", "contact_plate": "weekly"}),
        ("SP02", "Pass box door, room side", ["settle_plate", "contact_plate"],
         {"settle_plate": "working_day", "contact_plate": "weekly"}),
    ],
    "other": [
        ("SP01", "Incubator bench", ["settle_plate", "contact_plate", "particles_0_5", "particles_5"],
         {"settle_plate": "weekly", "contact_plate": "weekly", "particles_0_5": "weekly", "particles_5": "weekly"}),
    ],
}  # fmt: skip


def _points(room: Room, kind: str, qa, start: dt.date) -> list[SamplingPoint]:
    made = []
    for suffix, location, methods, schedules in POINTS[kind]:
        code = f"{room.code}-{suffix}"
        point = SamplingPoint.objects.filter(code__iexact=code).first()
        if point is None:
            point = services.create_point(actor=qa, room=room, code=code, location=location, methods=methods)
            for method, frequency in schedules.items():
                services.add_schedule(
                    actor=qa, point=point, method=method, frequency=frequency, starts_on=start
                )
        made.append(point)
    return made


def _excursion_day(room: Room, start: dt.date, end: dt.date) -> dt.date | None:
    """The latest working day in start..end on which a lot had a step in `room`."""
    from evqms.lots.models import StepRecord

    for step in StepRecord.objects.filter(room=room).order_by("-started_at"):
        day = timezone.localtime(step.started_at).date()
        if start <= day <= end:
            return day
    return None


def _value(rng: random.Random, sample: Sample, grade: str) -> dict:
    """Typical results of a well-run room (mostly no growth in B, a few colonies in C)."""
    m = sample.method
    low = grade in ("A", "B")
    if m == "settle_plate":
        return {
            "count": rng.choice([0, 0, 0, 0, 1, 0, 1, 2, 0, 0, 0, 3]) if low else rng.randint(2, 18),
            "exposure_minutes": 240,
        }
    if m == "contact_plate":
        return {"count": rng.choice([0, 0, 1, 0, 0, 1]) if low else rng.randint(1, 10)}
    if m == "active_air":
        return {"count": rng.choice([0, 1, 2, 0, 1]) if low else rng.randint(5, 40), "volume_litres": 1000}
    if m == "particles_0_5":
        return {"particles_per_m3": rng.randint(15000, 120000) if low else rng.randint(200000, 1200000)}
    if low and rng.random() < 0.05:  # now and then a burst of large particles above the alert level
        return {"particles_per_m3": rng.randint(1470, 1800)}
    return {"particles_per_m3": rng.randint(80, 900) if low else rng.randint(1500, 9000)}


def load(users) -> None:
    if Sample.objects.exists():
        return  # loaded before
    qa, analysts = users["qa"], [users["analyst"], users.get("analyst2") or users["analyst"]]
    today = timezone.localdate()
    end = today - dt.timedelta(days=1)
    grade_b, other = _rooms(users)
    if grade_b is None:
        _note("no grade B room: environmental monitoring not loaded")
        return
    # The record runs without a gap from the last lot made in the grade B room (if within
    # LOOKBACK_DAYS), or at least HISTORY_DAYS, up to yesterday: samples are never silently absent.
    excursion = _excursion_day(grade_b, today - dt.timedelta(days=LOOKBACK_DAYS), end)
    start = min(
        today - dt.timedelta(days=HISTORY_DAYS), excursion - dt.timedelta(days=7) if excursion else today
    )
    with transaction.atomic():
        points = _points(grade_b, "B", qa, start)
        if other is not None:
            points += _points(other, "other", qa, start)
        # a site alert level from trend data, in place of the default for the culture room's plates
        if other is not None and other.grade == "C":
            services.set_limit(
                actor=qa, grade="C", method="settle_plate", occupancy="any", alert="15", action="50",
                alert_source="site", action_source="annex1", reference="CCS-001 v2, EM trend 2025",
                reason="alert level set at the 95th percentile of 2025 settle plates (14 cfu/4 h)",
            )  # fmt: skip
        for chunk_start in range(0, (today - start).days + 1, 90):
            s = start + dt.timedelta(days=chunk_start)
            services.plan_samples(actor=analysts[0], start=s, end=min(today, s + dt.timedelta(days=89)))
        if excursion is None:
            _note("no lot step recorded in the grade B room: the excursion names no lot")
            excursion = max(d for d in (end - dt.timedelta(days=i) for i in range(7)) if d.weekday() < 5)
        rng = random.Random(20261207)
        due = (
            Sample.objects.filter(status="due", due_on__lte=end)
            .select_related("point__room")
            .order_by("due_on", "point__code", "method")
        )
        missed_done = False
        for i, sample in enumerate(due):
            who = analysts[i % 2]
            when = timezone.make_aware(dt.datetime.combine(sample.due_on, dt.time(9 + i % 6, 10)))
            grade = sample.point.room.grade
            if (
                not missed_done
                and grade == "B"
                and sample.point.code.endswith("SP02")
                and sample.due_on >= end - dt.timedelta(days=4)  # within the schedule page's past week
            ):
                services.record_missed(
                    actor=who, sample=sample,
                    reason="plate dropped in the pass box during transfer; room already closed for cleaning",
                )  # fmt: skip
                missed_done = True
                continue
            if (
                grade == "B"
                and sample.due_on == excursion
                and sample.point.code.endswith("SP01")
                and sample.method == "settle_plate"
            ):
                continue  # recorded below, as the excursion
            services.record_result(
                actor=who, sample=sample, sampled_at=when, sampled_by=who, **_value(rng, sample, grade)
            )
        # The excursion: a settle plate above the Annex 1 grade B action limit (5 cfu/4 h) on a day a
        # lot was made in the room; it opens a deviation naming that lot.
        b_point = next(p for p in points if p.room_id == grade_b.pk)
        services.record_result(
            actor=analysts[0], point=b_point, method="settle_plate", occupancy="in_operation",
            sampled_at=timezone.make_aware(dt.datetime.combine(excursion, dt.time(11, 40))),
            count=7, exposure_minutes=240, sampled_by=analysts[0],
        )  # fmt: skip
        # QA reviews the alert-level results older than a week; the newer ones and the excursion wait.
        for sample in Sample.objects.filter(verdict="alert", due_on__lt=end - dt.timedelta(days=7)):
            services.review_result(
                actor=qa, sample=sample, note="single colony, no trend at the point; monitoring continues"
            )
