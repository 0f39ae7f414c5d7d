"""Every write of environmental monitoring: limits, sampling points, schedules, due and missed
samples, results (entered or imported) and QA's review of excursions.

An action-level result opens a deviation in the same transaction, naming the lots that had a
step recorded in the sample's room on the sampling day; if that fails, the result is not stored.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core.db import lock_for_update
from evqms.core.display import format_number
from evqms.core.identifiers import DEFAULT_PATTERN
from evqms.core.inputs import past_moment, required_text
from evqms.core.numbering import next_number
from evqms.core.timefmt import local_date
from evqms.environment import limits as L
from evqms.environment.models import LimitSetting, Sample, SamplingPoint, Schedule
from evqms.environment.records import (
    limit_setting_record,
    sample_record,
    sampling_point_record,
    schedule_record,
)
from evqms.environment.selectors import limit_in_force, lots_in_room_on
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.lots.services.deviations import new_quality_deviation

MAX_PLAN_DAYS = 93  # a quarter: due samples are planned a period at a time
POINT_CODE_MAX = 40
POINT_CODE = re.compile(DEFAULT_PATTERN)  # the house's identifier characters; points are linked by id


def _decimal(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InputError(_("not a number: {value}").format(value=value), where=field) from None
    if not number.is_finite() or number < 0:
        raise InputError(_("give a number of zero or more"), where=field)
    if number >= Decimal("1e11"):
        raise InputError(_("too large: {value}").format(value=value), where=field)
    return number


def _choice(value, allowed, field: str) -> str:
    if value not in allowed:
        raise InputError(_("choose one of: {choices}").format(choices=", ".join(allowed)), where=field)
    return value


# --- limits -------------------------------------------------------------------------------


@transaction.atomic
def set_limit(
    *,
    actor,
    grade: str,
    method: str,
    occupancy: str,
    alert,
    action,
    alert_source: str,
    action_source: str,
    reason: str,
    reference: str = "",
) -> LimitSetting:
    """Put a new alert and action limit in force from now for samples of this grade, method and
    occupancy (particles: at rest or in operation; viable methods: any). Samples already taken keep
    the limit they were judged against."""
    require(actor, "environment.set_limits")
    grade = _choice(grade, L.GRADES, "grade")
    method = _choice(method, L.METHODS, "method")
    occupancy = _choice(occupancy, L.OCCUPANCIES, "occupancy")
    if method in L.PARTICLES and occupancy == "any":
        raise InputError(_("particle limits are set at rest or in operation"), where="occupancy")
    occupancy = L.limit_occupancy(method, occupancy)
    alert, action = _decimal(alert, "alert"), _decimal(action, "action")
    if alert is not None and action is not None and alert >= action:
        raise InputError(_("the alert limit must be below the action limit"), where="alert")
    alert_source = _choice(alert_source, ("annex1", "site"), "alert_source")
    action_source = _choice(action_source, ("annex1", "site"), "action_source")
    reason = required_text(reason, "reason", _("say why the limit changes"))
    now = timezone.now()
    before = limit_in_force(grade, method, occupancy, now)
    setting = LimitSetting.objects.create(
        grade=grade,
        method=method,
        occupancy=occupancy,
        alert=alert,
        action=action,
        alert_source=alert_source,
        action_source=action_source,
        reference=(reference or "").strip()[:300],
        effective_from=now,
        set_by=actor,
        reason=reason,
    )
    record_event(
        actor=actor,
        action="em_limit.set",
        object_type="em_limit",
        object_id=f"{grade}-{method}-{occupancy}",
        before=before,
        after=limit_setting_record(setting),
        reason=reason,
    )
    return setting


# --- sampling points and schedules --------------------------------------------------------


@transaction.atomic
def create_point(*, actor, room, code: str, location: str, methods: list[str]) -> SamplingPoint:
    """A sampling point in a graded room, with the methods sampled there."""
    require(actor, "environment.manage")
    code = required_text(code, "code")
    if not POINT_CODE.fullmatch(code) or len(code) > POINT_CODE_MAX:
        raise InputError(
            _("use letters, digits, '-', '_' or '.' (at most {n}), starting with a letter or digit").format(
                n=POINT_CODE_MAX
            ),
            where="code",
        )
    if SamplingPoint.objects.filter(code__iexact=code).exists():
        raise InputError(_("sampling point {code} already exists").format(code=code), where="code")
    if not getattr(room, "grade", None) or room.grade not in L.GRADES:
        raise InputError(_("the room has no grade A to D"), where="room")
    methods = list(dict.fromkeys(methods or []))
    if not methods:
        raise InputError(_("choose at least one method"), where="methods")
    for m in methods:
        _choice(m, L.METHODS, "methods")
    point = SamplingPoint.objects.create(
        room=room,
        code=code,
        location=required_text(location, "location"),
        methods=methods,
        created_by=actor,
        created_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="em_point.create",
        object_type="em_point",
        object_id=point.pk,
        after=sampling_point_record(point),
    )
    return point


@transaction.atomic
def add_schedule(
    *,
    actor,
    point: SamplingPoint,
    method: str,
    frequency: str,
    starts_on: dt.date,
    occupancy: str = "in_operation",
) -> Schedule:
    """Sample `method` at `point` at `frequency` from `starts_on`."""
    require(actor, "environment.manage")
    if method not in point.methods:
        raise InputError(
            _("{point} is not sampled by {method}").format(point=point.code, method=L.method_label(method)),
            where="method",
        )
    _choice(frequency, ("working_day", "daily", "weekly", "monthly"), "frequency")
    _choice(occupancy, ("at_rest", "in_operation"), "occupancy")
    if not isinstance(starts_on, dt.date):
        raise InputError(_("a date is required"), where="starts_on")
    if Schedule.objects.filter(point=point, method=method, occupancy=occupancy, active=True).exists():
        raise InputError(_("this point already has a schedule for this method"), where="method")
    schedule = Schedule.objects.create(
        point=point,
        method=method,
        occupancy=occupancy,
        frequency=frequency,
        starts_on=starts_on,
        created_by=actor,
        created_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="em_schedule.create",
        object_type="em_schedule",
        object_id=schedule.pk,
        after=schedule_record(schedule),
    )
    return schedule


def due_days(schedule: Schedule, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days in [start, end] on which the schedule asks for a sample."""
    days = []
    day = max(start, schedule.starts_on)
    while day <= end:
        f = schedule.frequency
        if (
            f == "daily"
            or (f == "working_day" and day.weekday() < 5)
            or (f == "weekly" and day.weekday() == schedule.starts_on.weekday())
            or (f == "monthly" and day.day == schedule.starts_on.day)
        ):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@transaction.atomic
def plan_samples(*, actor, start: dt.date, end: dt.date) -> list[Sample]:
    """Make the due samples of every active schedule for the days start..end (at most a quarter);
    a day already planned is left as it is, so planning twice adds nothing."""
    require(actor, "environment.plan")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise InputError(_("a date is required"), where="start")
    if end < start:
        raise InputError(_("the end is before the start"), where="end")
    if (end - start).days >= MAX_PLAN_DAYS:
        raise InputError(_("plan at most {n} days at a time").format(n=MAX_PLAN_DAYS), where="end")
    made = []
    schedules = Schedule.objects.filter(active=True, point__active=True).select_related("point")
    for schedule in schedules:
        planned = set(
            Sample.objects.filter(schedule=schedule, due_on__range=(start, end)).values_list(
                "due_on", flat=True
            )
        )
        for day in due_days(schedule, start, end):
            if day in planned:
                continue
            made.append(
                Sample.objects.create(
                    number=next_number(Sample, "EM-", width=6),
                    point=schedule.point,
                    method=schedule.method,
                    occupancy=schedule.occupancy,
                    schedule=schedule,
                    due_on=day,
                )
            )
    if made:
        record_event(
            actor=actor,
            action="em_sample.plan",
            object_type="em_plan",
            object_id=f"{start.isoformat()}..{end.isoformat()}",
            after={"start": start.isoformat(), "end": end.isoformat(), "samples": [s.number for s in made]},
        )
    return made


def _locked_sample(sample: Sample | str) -> Sample:
    number = sample.number if isinstance(sample, Sample) else str(sample or "").strip()
    found = lock_for_update(Sample.objects.filter(number=number).select_related("point__room")).first()
    if found is None:
        raise InputError(_("unknown sample {number}").format(number=number), where="sample")
    return found


@transaction.atomic
def record_missed(*, actor, sample: Sample | str, reason: str) -> Sample:
    """A due sample that was not taken, recorded as missed with the reason (never left silent)."""
    require(actor, "environment.record")
    sample = _locked_sample(sample)
    if sample.status != "due":
        raise RuleViolation(
            _("sample {number} is already {status}").format(
                number=sample.number, status=sample.get_status_display()
            )
        )
    reason = required_text(reason, "reason", _("say why the sample was not taken"))
    before = sample_record(sample)
    sample.status, sample.missed_reason = "missed", reason
    sample.missed_by, sample.missed_at = actor, timezone.now()
    sample.save()
    record_event(
        actor=actor,
        action="em_sample.missed",
        object_type="em_sample",
        object_id=sample.number,
        before=before,
        after=sample_record(sample),
        reason=reason,
    )
    return sample


# --- results ------------------------------------------------------------------------------


def _int(value, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InputError(_("give a whole number: {value}").format(value=value), where=field) from None
    if number < 0 or number > 10**15:
        raise InputError(_("give a whole number of zero or more"), where=field)
    return number


def _open_deviation(actor, sample: Sample):
    room = sample.point.room
    day = local_date(sample.sampled_at)
    lots = lots_in_room_on(room, day)
    limit = sample.limits or {}
    description = _(
        "Environmental monitoring action level exceeded: sample {number} at {point} ({room}, grade {grade}), "
        "{method}: {value} {unit} above the action limit {action} ({reference}). Lots made in the room "
        "that day: {lots}."
    ).format(
        number=sample.number,
        point=sample.point.code,
        room=room.code,
        grade=room.grade,
        method=L.method_label(sample.method),
        value=format_number(sample.value),
        unit=L.method_unit(sample.method),
        action=format_number(limit.get("action")),
        reference=(limit.get("action_reference") or {}).get("en", ""),
        lots=", ".join(lot.number for lot in lots) or _("none"),
    )
    # deviation_rules proposes the classification from these facts: grade A/B critical, else major
    return new_quality_deviation(
        actor=actor,
        source="environment",
        description=description,
        lots=lots,
        occurred_at=sample.sampled_at,
        facts={"grade": room.grade, "level": "action", "sample": sample.number},
    )


def _target_sample(point: SamplingPoint, method: str, occupancy: str, sampled_at: dt.datetime) -> Sample:
    """The due sample this result fulfils (same point, method and state, due that day), else a new
    unscheduled sample."""
    day = local_date(sampled_at)
    due = lock_for_update(
        Sample.objects.filter(point=point, method=method, occupancy=occupancy, due_on=day, status="due")
    ).first()
    if due is not None:
        return due
    return Sample(
        number=next_number(Sample, "EM-", width=6),
        point=point,
        method=method,
        occupancy=occupancy,
        due_on=day,
    )


@transaction.atomic
def record_result(
    *,
    actor,
    point: SamplingPoint | None = None,
    method: str | None = None,
    sampled_at: dt.datetime,
    occupancy: str = "in_operation",
    count=None,
    exposure_minutes=None,
    volume_litres=None,
    particles_per_m3=None,
    sampled_by=None,
    sample: Sample | str | None = None,
    import_sha256: str = "",
) -> Sample:
    """Record a result for a due sample (or, without one, an unscheduled sample at the point),
    judge it against the limit in force at `sampled_at` (copied onto the sample), and for an
    action-level result open a deviation naming the lots made in the room that day."""
    require(actor, "environment.record")
    sampled_at = past_moment(sampled_at, "sampled_at")
    if sample is not None:
        target = _locked_sample(sample)
        if target.status != "due":
            raise RuleViolation(
                _("sample {number} is already {status}").format(
                    number=target.number, status=target.get_status_display()
                )
            )
        point, method, occupancy = target.point, target.method, target.occupancy
    else:
        if point is None:
            raise InputError(_("choose a sampling point"), where="point")
        if not point.active:
            raise RuleViolation(_("sampling point {code} is no longer in use").format(code=point.code))
        method = _choice(method, L.METHODS, "method")
        if method not in point.methods:
            raise InputError(
                _("{point} is not sampled by {method}").format(
                    point=point.code, method=L.method_label(method)
                ),
                where="method",
            )
        _choice(occupancy, ("at_rest", "in_operation"), "occupancy")
        target = _target_sample(point, method, occupancy, sampled_at)
    count, exposure = _int(count, "count"), _int(exposure_minutes, "exposure_minutes")
    particles = _int(particles_per_m3, "particles_per_m3")
    volume = _decimal(volume_litres, "volume_litres")
    exact = L.measured_value(
        method, count=count, exposure_minutes=exposure, volume_litres=volume, particles_per_m3=particles
    )
    grade = point.room.grade
    limit = limit_in_force(grade, method, occupancy, sampled_at)
    alert = Decimal(limit["alert"]) if limit["alert"] is not None else None
    action = Decimal(limit["action"]) if limit["action"] is not None else None
    before = sample_record(target) if target.pk else None
    target.status = "taken"
    target.count = count if method not in L.PARTICLES else None
    target.exposure_minutes = exposure if method == "settle_plate" else None
    target.volume_litres = volume if method == "active_air" else None
    target.particles_per_m3 = particles if method in L.PARTICLES else None
    target.value = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_UP
    )
    target.sampled_at = sampled_at
    target.sampled_by = sampled_by or actor
    target.recorded_by, target.recorded_at = actor, timezone.now()
    target.verdict = L.judge(exact, alert, action)
    target.limits = limit
    target.import_sha256 = import_sha256 or ""
    target.save()
    if target.verdict == "action":
        target.deviation = _open_deviation(actor, target)
        target.save(update_fields=["deviation"])
    record_event(
        actor=actor,
        action="em_sample.result",
        object_type="em_sample",
        object_id=target.number,
        before=before,
        after=sample_record(target),
    )
    return target


@transaction.atomic
def review_result(*, actor, sample: Sample | str, note: str) -> Sample:
    """QA's review of an alert- or action-level result (what was looked at, what follows)."""
    require(actor, "environment.review")
    sample = _locked_sample(sample)
    if sample.verdict not in ("alert", "action"):
        raise RuleViolation(
            _("sample {number} is within its limits: nothing to review").format(number=sample.number)
        )
    if sample.reviewed_at is not None:
        raise RuleViolation(_("sample {number} was already reviewed").format(number=sample.number))
    if sample.recorded_by_id == actor.pk:
        raise RuleViolation(_("the person who recorded a result does not review it"))
    note = required_text(note, "note", _("say what the review found"))
    before = sample_record(sample)
    sample.reviewed_by, sample.reviewed_at, sample.review_note = actor, timezone.now(), note
    sample.save()
    record_event(
        actor=actor,
        action="em_sample.review",
        object_type="em_sample",
        object_id=sample.number,
        before=before,
        after=sample_record(sample),
        reason=note,
    )
    return sample
