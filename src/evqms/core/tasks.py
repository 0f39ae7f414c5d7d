"""A task on a person's work queue: something due that this person may do, linked to where it is done.

Each area offers its own tasks with `tasks_for(user) -> Iterable[Task]` in its `selectors`, decided
by the same permission predicates its services check, so the queue never lists a task the person
would be refused. The dashboard and the notification digest gather them (oldest first).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from evqms.core.timefmt import to_local


@dataclass(frozen=True)
class Task:
    kind: str  # stable key, e.g. "qc.verify", "lot.release", "capa.due"; for filters and e-mail
    title: str  # what to do, in the active language ("Verify 3 results of UCEV-24-001")
    url: str  # the page where it is done
    due: dt.date | dt.datetime | None  # None: no due date (listed after the dated ones)
    area: str = ""  # the area's name as the menu shows it

    def due_day(self) -> dt.date | None:
        if isinstance(self.due, dt.datetime):
            return to_local(self.due).date()
        return self.due

    def overdue(self, today: dt.date) -> bool:
        day = self.due_day()
        return day is not None and day < today

    def due_within(self, today: dt.date, days: int) -> bool:
        day = self.due_day()
        return day is not None and day <= today + dt.timedelta(days=days)


def ordered(tasks) -> list[Task]:
    """Oldest due first; undated tasks last, in a stable order."""
    return sorted(tasks, key=lambda t: (t.due_day() is None, t.due_day() or dt.date.max, t.kind, t.title))


# How many days after a task falls due it is marked overdue, for work no regulation dates
# (the environment's EVQMS_TASK_DAYS, read by settings, overrides each kind: "deviation.close=20").
DEFAULT_DAYS = {
    "qc.verify": 2,  # a second person checks a result within two days of its entry
    "lot.release": 5,  # QA decides within a working week of the last QC result
    "deviation.close": 30,  # investigated and closed within 30 days (common GMP practice)
    "hold.review": 30,  # an active hold is reviewed within 30 days of being placed
    "recall.unit": 14,  # the fate of each shipped unit confirmed within two weeks
}


def days_for(kind: str) -> int:
    from django.conf import settings

    override = (getattr(settings, "EVQMS_TASK_DAYS", None) or {}).get(kind)
    return int(override) if override is not None else DEFAULT_DAYS.get(kind, 0)


def due_after(start: dt.date | dt.datetime | None, kind: str) -> dt.date | None:
    """The day a task of `kind` that became possible at `start` is due."""
    if start is None:
        return None
    day = to_local(start).date() if isinstance(start, dt.datetime) else start
    return day + dt.timedelta(days=days_for(kind))
