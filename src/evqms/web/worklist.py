"""A person's work queue: every area's `tasks_for(user)` (core.tasks), gathered and ordered oldest
due first. The dashboard's "My tasks", the full tasks page and the notification e-mails read it.

Adding an area's tasks is one line in TASK_SOURCES (its `selectors.tasks_for`); a kind the table
KIND_LABELS does not name is shown by its key until it is given a label there.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evqms.capa.selectors import tasks_for as capa_tasks
from evqms.changes.selectors import tasks_for as changes_tasks
from evqms.clinical.selectors import tasks_for as clinical_tasks
from evqms.core.tasks import Task, ordered
from evqms.environment.selectors import tasks_for as environment_tasks
from evqms.equipment.selectors import tasks_for as equipment_tasks
from evqms.inventory.selectors import tasks_for as inventory_tasks
from evqms.lots.selectors import tasks_for as lots_tasks
from evqms.trace.selectors import tasks_for as trace_tasks
from evqms.training.selectors import tasks_for as training_tasks

# Each area's provider, in the menu's order. Adding an area: one line here.
TASK_SOURCES = (
    changes_tasks,
    equipment_tasks,
    training_tasks,
    lots_tasks,
    capa_tasks,
    environment_tasks,
    inventory_tasks,
    clinical_tasks,
    trace_tasks,
)

# The kinds as a person reads them (the filter on the tasks page, the e-mail's headings).
KIND_LABELS = {
    "qc.verify": _("QC results to verify"),
    "lot.release": _("Lots awaiting release"),
    "deviation.close": _("Deviations to close"),
    "suitability.approve": _("Method suitability awaiting QA approval"),
    "retention.take": _("Retention samples to take"),
    "retention.missing": _("Retention samples missing"),
    "retention.end": _("Retention periods ending"),
    "safety.report": _("Safety reports due"),
    "visit.due": _("Follow-up visits due"),
    "recall.unit": _("Recall units still open"),
    "recall.close": _("Recalls to close"),
    "hold.review": _("Holds to review"),
    "evidence.yearly_report": _("Yearly evidence reports to issue"),
    "change.approve": _("Change requests to decide"),
    "change.close": _("Change requests to close"),
    "capa.action": _("CAPA actions due"),
    "capa.effectiveness": _("CAPA effectiveness checks due"),
    "deviation.capa_needed": _("Deviations needing a CAPA"),
    "equipment.calibration": _("Calibrations due"),
    "equipment.maintenance": _("Maintenance due"),
    "training.due": _("Trainings due"),
    "media_fill.requalify": _("Media fill requalifications due"),
    "em.review": _("Environmental results to review"),
    "em.sample_due": _("Environmental samples due"),
    "em.sample_missed": _("Environmental samples missed"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def tasks_for(user, *, sources=None) -> list[Task]:
    """Every task of every area for `user`, oldest due first (undated last)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    found: list[Task] = []
    for source in TASK_SOURCES if sources is None else sources:
        found.extend(source(user))
    return ordered(found)


@dataclass(frozen=True)
class Summary:
    total: int
    overdue: int
    due_today: int
    by_kind: list[tuple[str, str, int]]  # (kind, label, count), in KIND_LABELS' order then by key


def summary(tasks: list[Task], today: dt.date | None = None) -> Summary:
    today = today or timezone.localdate()
    counts = Counter(t.kind for t in tasks)
    order = list(KIND_LABELS)
    kinds = sorted(counts, key=lambda k: (order.index(k) if k in order else len(order), k))
    return Summary(
        total=len(tasks),
        overdue=sum(1 for t in tasks if t.overdue(today)),
        due_today=sum(1 for t in tasks if t.due_day() == today),
        by_kind=[(k, kind_label(k), counts[k]) for k in kinds],
    )


def rows(tasks: list[Task], today: dt.date | None = None) -> list[dict]:
    """The tasks as a page lists them: the task, its kind's label, overdue or due today."""
    today = today or timezone.localdate()
    return [
        {
            "task": t,
            "kind_label": kind_label(t.kind),
            "due_day": t.due_day(),
            "overdue": t.overdue(today),
            "today": t.due_day() == today,
        }
        for t in tasks
    ]
