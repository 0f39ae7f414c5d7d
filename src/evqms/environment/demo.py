"""Demo environmental monitoring (idempotent, through the services): sampling points in the demo's
graded rooms (the equipment demo's; two are made if there are none), their schedules, and the
history up to yesterday (at least a month, from the week before the first lot made in the grade B
room, so every demo lot's manufacturing days are monitored): results from the QC analysts, a settle
plate in operation on each day a lot was worked in a room with no scheduled sample that day (a
weekend), one sample missed with its reason, alert-level results reviewed by QA, and one
action-level settle plate in the grade B room on a day a released lot had a step there, which
opened a deviation naming that lot. QA works it to closure: investigation, the lot's impact, a CAPA
whose action was done and found effective after its stated interval, the deviation and the CAPA
closed with signatures (so JSRM-2-R1 is met by the records). Today's samples are left due.

Signing needs the demo QA's password: read from $EVQMS_HOME/demo-logins.json unless given; without
it the excursion's deviation is left open.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evqms.core.demo import signing_request
from evqms.environment import services
from evqms.environment.models import Sample, SamplingPoint
from evqms.equipment.models import Room

HISTORY_DAYS = 30
LOOKBACK_DAYS = 250  # the demo lots are made in the months before the load date (the first 240 days)
CAPA_TITLE = "Grade B settle plate excursion: cabinet airflow and transfer practice"


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


def _lot_days(rooms, start: dt.date, end: dt.date) -> dict[tuple[int, dt.date], bool]:
    """{(room id, day): a released lot among them} for every day in start..end a lot's step was
    worked in one of `rooms` (from the day it started to the day it finished)."""
    from evqms.lots.models import StepRecord

    days: dict[tuple[int, dt.date], bool] = {}
    for room_id, started, finished, status in StepRecord.objects.filter(room__in=rooms).values_list(
        "room_id", "started_at", "finished_at", "lot__status"
    ):
        day, last = timezone.localtime(started).date(), timezone.localtime(finished).date()
        while day <= last:
            if start <= day <= end:
                days[room_id, day] = days.get((room_id, day), False) or status == "released"
            day += dt.timedelta(days=1)
    return days


def _excursion_day(room: Room, start: dt.date, end: dt.date) -> dt.date | None:
    """The latest day in start..end on which a released lot had a step in `room` (else any lot)."""
    days = {day: released for (room_id, day), released in _lot_days([room], start, end).items()}
    released = [day for day, is_released in days.items() if is_released]
    return max(released or days or [None], key=lambda d: d or dt.date.min)


def _first_lot_day(room: Room, start: dt.date, end: dt.date) -> dt.date | None:
    days = [day for _room, day in _lot_days([room], start, end)]
    return min(days) if days else None


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


def load(users, passwords: dict | None = None) -> None:
    if not Sample.objects.exists():  # loaded before: only the excursion's closure may be left to do
        _load_history(users)
    _work_excursion(users, _passwords(passwords))


def _passwords(passwords: dict | None) -> dict:
    if passwords:
        return passwords
    path = settings.EVQMS_HOME / "demo-logins.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _load_history(users) -> None:
    qa, analysts = users["qa"], [users["analyst"], users.get("analyst2") or users["analyst"]]
    today = timezone.localdate()
    end = today - dt.timedelta(days=1)
    grade_b, other = _rooms(users)
    if grade_b is None:
        _note("no grade B room: environmental monitoring not loaded")
        return
    # The record runs without a gap from the week before the first lot made in the grade B room (if
    # within LOOKBACK_DAYS), or at least HISTORY_DAYS, up to yesterday: samples are never silently absent.
    lookback = today - dt.timedelta(days=LOOKBACK_DAYS)
    excursion = _excursion_day(grade_b, lookback, end)
    first = _first_lot_day(grade_b, lookback, end)
    start = min(today - dt.timedelta(days=HISTORY_DAYS), first - dt.timedelta(days=7) if first else today)
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
        _monitor_working_days(rng, points, start, end, analysts)
        # The excursion: a settle plate above the Annex 1 grade B action limit (5 cfu/4 h) on a day a
        # lot was made in the room; it opens a deviation naming that lot.
        b_point = next(p for p in points if p.room_id == grade_b.pk)
        services.record_result(
            actor=analysts[0], point=b_point, method="settle_plate", occupancy="in_operation",
            sampled_at=timezone.make_aware(dt.datetime.combine(excursion, dt.time(11, 40))),
            count=7, exposure_minutes=240, sampled_by=analysts[0],
        )  # fmt: skip
        # QA reviews the alert-level results older than a week; the newer ones wait (the excursion is
        # reviewed when its deviation is worked, below).
        for sample in Sample.objects.filter(verdict="alert", due_on__lt=end - dt.timedelta(days=7)):
            services.review_result(
                actor=qa, sample=sample, note="single colony, no trend at the point; monitoring continues"
            )


def _monitor_working_days(rng, points, start: dt.date, end: dt.date, analysts) -> None:
    """A settle plate in operation at the first point of each room on every day a lot was worked
    there with no sample taken that day (the schedules sample working days; a weekend session is
    monitored too)."""
    by_room = {}
    for point in points:
        by_room.setdefault(point.room_id, point)
    taken = set(
        Sample.objects.filter(status="taken", point__room__in=list(by_room)).values_list(
            "point__room_id", "due_on"
        )
    )
    for i, (room_id, day) in enumerate(sorted(_lot_days(list(by_room), start, end))):
        if (room_id, day) in taken:
            continue
        point = by_room[room_id]
        grade = point.room.grade
        services.record_result(
            actor=analysts[i % 2], point=point, method="settle_plate", occupancy="in_operation",
            sampled_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10, 30))),
            sampled_by=analysts[i % 2],
            count=0 if grade in ("A", "B") else rng.randint(2, 18), exposure_minutes=240,
        )  # fmt: skip


def _work_excursion(users, passwords: dict) -> None:
    """QA works the excursion's deviation to closure through a CAPA found effective (idempotent:
    done once, when the deviation is open and has no CAPA)."""
    from evqms.capa import services as capa
    from evqms.capa.models import Capa
    from evqms.lots import services as lots

    sample = (
        Sample.objects.filter(verdict="action", deviation__status="open")
        .select_related("deviation")
        .order_by("sampled_at")
        .first()
    )
    qa, password = users.get("qa"), passwords.get("qa")
    if sample is None or qa is None or Capa.objects.filter(title=CAPA_TITLE).exists():
        return
    if not password or not qa.check_password(password):
        _note("no password for the demo QA user: the excursion's deviation is left open")
        return
    deviation, owner = sample.deviation, users.get("operator") or qa
    day = timezone.localtime(sample.sampled_at).date()
    with transaction.atomic():
        lots.record_investigation(
            actor=qa,
            deviation=deviation,
            root_cause_category="environment",
            investigation=(
                f"Settle plate {sample.number}: 7 cfu/4 h beside the fill needle (action limit 5). Identified "
                "as Micrococcus luteus (skin flora). Cabinet airflow within specification on the day; the "
                "plate had been placed at the pass-box side of the work surface during a material transfer. "
                "Same-day contact plates and particles within limits; no growth at the other points."
            ),
        )
        # QA's review of the result itself names where it is worked, so it leaves the review queue.
        services.review_result(
            actor=qa,
            sample=sample,
            note=f"Action level: worked under deviation {deviation.number} (investigation, lot impact, CAPA).",
        )
        for lot in deviation.affected_lots.all():
            lots.assess_impact(
                actor=qa,
                deviation=deviation,
                lot=lot,
                assessment="no_impact",
                reasoning=(
                    "Closed processing inside the grade A cabinet; sterility and endotoxin of the lot pass; "
                    "the organism is not a spore former and was not found in the product."
                ),
            )
        record = capa.create_capa(
            actor=qa,
            title=CAPA_TITLE,
            kind="corrective",
            description="Fixed settle-plate position away from the transfer path; transfer SOP retrained.",
            deviations=[deviation],
            effectiveness_after_days=60,
        )
        action = capa.add_action(
            actor=qa,
            capa=record,
            description="Move the settle plate off the transfer path and retrain the operators on transfers",
            owner=owner,
            due_on=day + dt.timedelta(days=14),
        )
        capa.complete_action(
            actor=owner,
            action=action,
            evidence="SOP-EV-001 annex updated; training records of both operators",
            done_on=min(day + dt.timedelta(days=10), timezone.localdate()),
        )
        if timezone.localdate() >= record.effectiveness_due_on():
            capa.record_effectiveness(
                actor=qa,
                capa=record,
                result="effective",
                evidence="No settle plate above the alert level at the point in the 60 days after the action.",
            )
            lots.close_deviation(
                request=signing_request("/environment/demo/"),
                actor=qa,
                deviation=deviation,
                password=password,
                resolution=f"Root cause removed by CAPA {record.number}; no impact on the lot.",
            )
            capa.close_capa(
                request=signing_request("/environment/demo/"),
                actor=qa,
                capa=record,
                password=password,
                reason="Effective: no recurrence.",
            )
