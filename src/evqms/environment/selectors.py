"""Reads for environmental monitoring: the limit in force, points and schedules, due and missed
samples, excursions to review, a point's trend on the SPC engine, the dashboard card and the work
queue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from evqms.core.db import counts
from evqms.core.tasks import Task
from evqms.core.timefmt import local_date
from evqms.environment import limits as L
from evqms.environment.models import LimitSetting, Sample, SamplingPoint
from evqms.environment.records import number_text
from evqms.i18n import _

TREND_MIN_POINTS = 8  # fewer results give no useful control limits
TREND_MAX_POINTS = 500
CARD_DAYS = 30


# --- limits -------------------------------------------------------------------------------


def _setting_dict(setting: LimitSetting) -> dict:
    reference = setting.reference or _("set by {user}: {reason}").format(
        user=setting.set_by.username, reason=setting.reason
    )
    return {
        "grade": setting.grade,
        "method": setting.method,
        "occupancy": setting.occupancy,
        "alert": number_text(setting.alert),
        "action": number_text(setting.action),
        "alert_source": setting.alert_source,
        "action_source": setting.action_source,
        "alert_reference": {"en": reference, "ja": reference},
        "action_reference": {"en": reference, "ja": reference},
        "unit": L.method_unit(setting.method),
        "setting": setting.pk,
        "in_force_from": setting.effective_from.isoformat(),
    }


def limit_in_force(grade: str, method: str, occupancy: str, at: dt.datetime) -> dict:
    """The limit (as a result keeps it) for samples of this grade, method and occupancy taken at
    `at`: QA's latest setting in force by then, else the shipped default."""
    occupancy = L.limit_occupancy(method, occupancy)
    setting = (
        LimitSetting.objects.filter(grade=grade, method=method, occupancy=occupancy, effective_from__lte=at)
        .select_related("set_by")
        .order_by("-effective_from", "-id")
        .first()
    )
    if setting is not None:
        return _setting_dict(setting)
    default = L.default_limit(grade, method, occupancy)
    if default is None:
        return {"grade": grade, "method": method, "occupancy": occupancy, "alert": None, "action": None,
                "alert_source": "site", "action_source": "site", "alert_reference": {}, "action_reference": {},
                "unit": L.method_unit(method), "setting": None, "in_force_from": None}  # fmt: skip
    return {**default.frozen(), "setting": None, "in_force_from": None}


def limits_table() -> list[dict]:
    """Every grade, method and occupancy with its limit in force now and where each figure comes from."""
    now = timezone.now()
    rows = []
    order = {m: i for i, m in enumerate(L.METHODS)}
    keys = sorted(L.default_limits(), key=lambda k: (k[0], order[k[1]], L.OCCUPANCIES.index(k[2])))
    for grade, method, occupancy in keys:
        limit = limit_in_force(grade, method, occupancy, now)
        rows.append(
            {
                **limit,
                "method_text": L.method_label(method),
                "occupancy_text": L.occupancy_label(occupancy),
                "alert_text": L.limit_text(limit["alert"], method),
                "action_text": L.limit_text(limit["action"], method),
            }
        )
    return rows


def limit_history(grade: str, method: str, occupancy: str):
    return LimitSetting.objects.filter(grade=grade, method=method, occupancy=occupancy).select_related(
        "set_by"
    )


# --- lots made in a room ------------------------------------------------------------------


def _local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def lots_in_room_on(room, day: dt.date) -> list:
    """The lots with a step recorded in `room` that overlaps the local day `day`, by number."""
    from evqms.lots.models import Lot

    start, end = _local_day_bounds(day)
    return list(
        Lot.objects.filter(
            step_records__room=room, step_records__started_at__lt=end, step_records__finished_at__gte=start
        )
        .distinct()
        .order_by("number")
    )


# --- points, schedules, samples -----------------------------------------------------------


def points():
    return (
        SamplingPoint.objects.select_related("room")
        .prefetch_related("schedules")
        .order_by("room__code", "code")
    )


def rooms_with_points() -> list[dict]:
    """Each room with a grade and its sampling points (rooms without points too)."""
    from evqms.equipment.models import Room

    by_room: dict[int, list] = {}
    for point in points():
        by_room.setdefault(point.room_id, []).append(point)
    return [{"room": room, "points": by_room.get(room.pk, [])} for room in Room.objects.order_by("code")]


def today() -> dt.date:
    return local_date(timezone.now())


def period_samples(start: dt.date, end: dt.date):
    return (
        Sample.objects.filter(due_on__range=(start, end))
        .select_related("point__room", "sampled_by", "missed_by", "deviation")
        .order_by("due_on", "point__code", "method")
    )


def overdue_samples(on: dt.date | None = None):
    """Due samples whose day has passed with neither a result nor a reason: they must be answered."""
    return Sample.objects.filter(status="due", due_on__lt=on or today()).select_related("point__room")


def to_review():
    """Alert- and action-level results QA has not reviewed yet, oldest first."""
    return (
        Sample.objects.filter(verdict__in=("alert", "action"), reviewed_at__isnull=True)
        .select_related("point__room", "deviation")
        .order_by("sampled_at")
    )


def recent_results(limit: int = 50):
    return (
        Sample.objects.filter(status="taken")
        .select_related("point__room", "sampled_by", "deviation")
        .order_by("-sampled_at", "-id")[:limit]
    )


def point_results(point: SamplingPoint, method: str):
    return (
        Sample.objects.filter(point=point, method=method, status="taken")
        .select_related("sampled_by", "deviation")
        .order_by("sampled_at", "id")
    )


# --- trend --------------------------------------------------------------------------------


def _chart_kind(method: str) -> str:
    # Colony counts on equal plates are Poisson counts (c chart); air samples of varying volume are
    # counts per m³ (u chart, size in m³); particle concentrations are measurements (individuals).
    return {"settle_plate": "c", "contact_plate": "c", "active_air": "u"}.get(method, "i")


def trend(point: SamplingPoint, method: str) -> dict:
    """The point's results for one method in sampling order (the latest TREND_MAX_POINTS), on the
    SPC engine (c, u or individuals chart, limits from all points shown), with the alert and action
    limits in force now drawn beside them."""
    import numpy as np

    from evqms.analytics import spc, spc_charts

    samples = list(point_results(point, method))[-TREND_MAX_POINTS:]
    limit = limit_in_force(point.room.grade, method, "in_operation", timezone.now())
    listed = [
        {
            "index": i + 1,
            "number": s.number,
            "sampled_at": s.sampled_at,
            "value": float(s.value),
            "verdict": s.verdict,
            "alert": float(s.limits["alert"]) if s.limits and s.limits.get("alert") is not None else None,
            "action": float(s.limits["action"]) if s.limits and s.limits.get("action") is not None else None,
        }
        for i, s in enumerate(samples)
    ]
    kind = _chart_kind(method)
    base = {
        "point": point,
        "method": method,
        "method_text": L.method_label(method),
        "unit": L.method_unit(method),
        "limit": limit,
        "alert_text": L.limit_text(limit["alert"], method),
        "action_text": L.limit_text(limit["action"], method),
        "listed": listed,
        "chart_kind": kind,
        "minimum": TREND_MIN_POINTS,
    }
    if len(samples) < TREND_MIN_POINTS:
        return {**base, "enough": False, "message": _(
            "insufficient data: control limits need at least {minimum} results; {count} so far"
        ).format(minimum=TREND_MIN_POINTS, count=len(samples))}  # fmt: skip
    mask = np.ones(len(samples), dtype=bool)
    if kind == "i":
        values = np.array([p["value"] for p in listed], dtype=float)
        if not np.any(np.diff(values)):
            return {
                **base,
                "enough": False,
                "message": _("insufficient data: every result has the same value"),
            }
        comp = spc_charts.individuals_chart(values, mask)
    elif kind == "u":
        counts = np.array([s.count for s in samples], dtype=float)
        sizes = np.array([float(s.volume_litres) / 1000 for s in samples], dtype=float)
        comp = spc_charts.attribute_chart("u", counts, sizes, mask)
    else:
        counts = np.array([s.count for s in samples], dtype=float)
        comp = spc_charts.attribute_chart("c", counts, np.ones(len(samples)), mask)
    labels = [s.number for s in samples]
    result = spc.build_result(comp, mask, "we", None, labels, [], {})
    centre = result["center"]
    for i, (point_row, row) in enumerate(zip(result["points"], listed, strict=True)):
        point_row.update(row)
        c = centre[i] if isinstance(centre, list) else centre
        if kind in ("c", "u") and point_row["value"] <= c:
            # a run of plates at or below the mean (mostly no growth) is the room doing well, not a signal
            point_row["rules"] = []
        point_row["flagged"] = bool(point_row["beyond_limits"] or point_row["rules"])
    return {**base, "enough": True, "chart": result, "out_of_control": spc.out_of_control(result)}


def _as_list(value, n: int):
    return value if isinstance(value, list) else [value] * n


def trend_chart_data(t: dict) -> dict | None:
    """What the browser chart draws: values, the SPC centre and limits, alert and action limits."""
    points = t["chart"]["points"] if t["enough"] else t["listed"]
    n = len(points)
    if not n:
        return None
    data = {
        "labels": [p["number"] for p in points],
        "values": [p["value"] for p in points],
        "flagged": [bool(p.get("flagged")) or p["verdict"] in ("alert", "action") for p in points],
        "alert": [p["alert"] for p in points],
        "action": [p["action"] for p in points],
    }
    if t["enough"]:
        c = t["chart"]
        data.update(center=_as_list(c["center"], n), ucl=_as_list(c["ucl"], n), lcl=_as_list(c["lcl"], n))
    return data


def trend_text(t: dict) -> str:
    """The chart's text alternative: how many results, how many above the alert and action limits,
    the highest value, and whether the points are in statistical control."""
    listed = t["listed"]
    if not listed:
        return _("No results yet.")
    alerts = sum(1 for p in listed if p["verdict"] == "alert")
    actions = sum(1 for p in listed if p["verdict"] == "action")
    highest = max(listed, key=lambda p: p["value"])
    from evqms.core.display import format_number

    text = _(
        "{n} results from {first} to {last}; {alerts} at alert level, {actions} at action level; "
        "highest {value} {unit} ({number})."
    ).format(
        n=len(listed),
        first=local_date(listed[0]["sampled_at"]),
        last=local_date(listed[-1]["sampled_at"]),
        alerts=alerts,
        actions=actions,
        value=format_number(Decimal(str(highest["value"]))),
        unit=t["unit"],
        number=highest["number"],
    )
    if t["enough"]:
        text += " " + (
            _("Out of statistical control (points beyond the control limits or breaking a run rule).")
            if t["out_of_control"]
            else _("In statistical control.")
        )
    return text


# --- dashboard and work queue -------------------------------------------------------------


def dashboard_card(user) -> dict | None:
    """Alert- and action-level results not yet reviewed, with the samples overdue."""
    if not user.has_perm("environment.view"):
        return None
    pending = to_review()
    since = timezone.now() - dt.timedelta(days=CARD_DAYS)
    n = counts(
        pending=pending,
        actions=pending.filter(verdict="action"),
        overdue=overdue_samples(),
        alerts=Sample.objects.filter(verdict="alert", sampled_at__gte=since),
    )
    return {
        "title": _("Environmental monitoring"),
        "value": n["pending"],
        "caption": _(
            "excursions not yet reviewed ({actions} at action level); {overdue} samples overdue; "
            "{alerts} alert-level results in {days} days"
        ).format(actions=n["actions"], overdue=n["overdue"], alerts=n["alerts"], days=CARD_DAYS),
        "url_name": "environment:index",
    }


def tasks_for(user) -> list[Task]:
    """QA: alert and action results to review. Samplers: samples due today and samples overdue
    (to take, or to record as missed with the reason)."""
    tasks: list[Task] = []
    area = str(_("Environmental monitoring"))
    if user.has_perm("environment.review"):
        for s in to_review():
            tasks.append(
                Task(
                    kind="em.review",
                    title=_("Review {verdict} result {number} at {point}").format(
                        verdict=L.verdict_label(s.verdict), number=s.number, point=s.point.code
                    ),
                    url=reverse("environment:sample", args=[s.number]),
                    due=local_date(s.sampled_at),
                    area=area,
                )
            )
    if user.has_perm("environment.record"):
        day = today()
        due = Sample.objects.filter(Q(status="due") & Q(due_on__lte=day)).select_related("point")
        for s in due.order_by("due_on", "point__code", "method"):
            kind = "em.sample_due" if s.due_on == day else "em.sample_missed"
            title = (
                _("Take sample {number}: {point}, {method}")
                if s.due_on == day
                else _("Sample {number} ({point}, {method}) was not taken: record the result or the reason")
            )
            tasks.append(
                Task(
                    kind=kind,
                    title=title.format(number=s.number, point=s.point.code, method=L.method_label(s.method)),
                    url=reverse("environment:sample", args=[s.number]),
                    due=s.due_on,
                    area=area,
                )
            )
    return tasks
