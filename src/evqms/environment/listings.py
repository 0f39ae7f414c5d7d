"""The environmental-monitoring lists' columns (evqms.core.listing): the samples of the schedule's
period, and the sampling points (grouped by room on their page, so exported but not sorted)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evqms.core.display import format_number
from evqms.core.listing import Column, Listing, attr
from evqms.core.timefmt import local_date
from evqms.environment import limits as L


def _point(row):
    room = row.point.room
    return f"{row.point.code} ({room.code}, {room.grade})"


def _result(row):
    if row.status != "taken" or row.value is None:
        return ""
    return f"{format_number(row.value)} {L.method_unit(row.method)}"


def _status(row):
    if row.status == "due" and row.due_on < local_date(timezone.now()):
        return str(_("overdue: not taken"))
    shown = row.get_status_display()
    return f"{shown}: {row.missed_reason}" if row.status == "missed" and row.missed_reason else shown


SAMPLES = Listing(
    "em-samples",
    (
        Column("due_on", _("Due day"), attr("due_on"), "due_on"),
        Column("number", _("Sample"), attr("number"), "number"),
        Column("point", _("Point"), _point, ("point__code", "point__room__code")),
        Column("method", _("Method"), lambda row: str(L.method_label(row.method)), "method"),
        Column("occupancy", _("Room state"), lambda row: str(L.occupancy_label(row.occupancy)), "occupancy"),
        Column("status", _("Status"), _status, "status"),
        Column("result", _("Result"), _result, "value"),
        Column(
            "verdict",
            _("Verdict"),
            lambda row: str(L.verdict_label(row.verdict)) if row.verdict else "",
            "verdict",
        ),
        Column("deviation", _("Deviation"), attr("deviation.number"), "deviation__number"),
    ),
)

POINTS = Listing(
    "em-points",
    (
        Column("room", _("Room"), attr("room.code")),
        Column("grade", _("grade"), attr("room.grade")),
        Column("point", _("Point"), attr("code")),
        Column("location", _("Sampling location"), attr("location")),
        Column(
            "methods", _("Methods"), lambda row: ", ".join(str(L.method_label(m)) for m in row.methods or [])
        ),
        Column("active", _("active"), attr("active")),
    ),
)
