"""The trace area's work queue (core.tasks): shipped units of an open recall whose fate is still to
confirm, open recalls with every unit confirmed (to close), active holds to review. Offered to those
who may open the recall or hold page (trace.view) and whose service would accept the action
(trace.recall_effectiveness, trace.recall, trace.hold). Two queries whatever the number of recalls."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse

from evqms.core import identifiers
from evqms.core.tasks import Task, due_after
from evqms.i18n import _
from evqms.trace.models import Hold, Recall


def _url(name: str, kind: str, number: str) -> str | None:
    if not identifiers.is_valid(kind, number):
        return None
    try:
        return reverse(name, args=[number])
    except NoReverseMatch:
        return None


def tasks_for(user) -> list[Task]:
    if not user.has_perm("trace.view"):
        return []
    area = str(_("Trace"))
    tasks: list[Task] = []
    confirm = user.has_perm("trace.recall_effectiveness")
    close = user.has_perm("trace.recall")
    if confirm or close:
        recalls = (
            Recall.objects.filter(status="open")
            .annotate(open_units=Count("units", filter=Q(units__outcome="open")))
            .values_list("number", "lot__number", "initiated_at", "open_units")
        )
        for number, lot_number, initiated_at, open_units in recalls:
            url = _url("trace:recall-detail", "recall", number)
            if url is None:
                continue
            due = due_after(initiated_at, "recall.unit")
            if open_units and confirm:
                title = _(
                    "Confirm the fate of the shipped units of recall {number}, lot {lot} ({n} still open)"
                ).format(n=open_units, number=number, lot=lot_number)
                tasks.append(Task("recall.unit", title, url + "#effectiveness", due, area))
            elif not open_units and close:
                title = _("Close recall {number}: every shipped unit is confirmed").format(number=number)
                tasks.append(Task("recall.close", title, url, due, area))
    if user.has_perm("trace.hold"):
        for number, subject, placed_at in Hold.objects.filter(status="active").values_list(
            "number", "subject", "placed_at"
        ):
            url = _url("trace:hold-detail", "hold", number)
            if url:
                title = _("Review hold {number} on {subject}: lift it or keep it").format(
                    number=number, subject=subject
                )
                tasks.append(Task("hold.review", title, url, due_after(placed_at, "hold.review"), area))
    return tasks
