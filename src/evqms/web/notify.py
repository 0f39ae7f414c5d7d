"""E-mail about a person's work queue (web.worklist), through Django's mail framework.

- `send_digests()`: one message a day per person with tasks, listing them oldest due first (run
  daily by cron: `evqms notify digest`). A second run the same day sends nothing.
- `send_due()`: one message per task that falls due within the next 24 hours, once per task
  (run hourly: `evqms notify due`).

Each is sent in the person's language (their notification preference, else the site's), with days
and times in the facility's zone named; a person turns either off on their notifications page.
What was sent is recorded (accounts.NotificationSent) in the transaction that sends it, so a failed
send is retried by the next run and a message is never sent twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from evqms.accounts.models import NotificationPreference
from evqms.accounts.services import claim_notification
from evqms.core.links import absolute_url
from evqms.core.tasks import Task
from evqms.core.timefmt import display_local
from evqms.i18n import _
from evqms.web import worklist


@dataclass
class Outcome:
    sent: int = 0
    skipped: int = 0  # already sent, nothing to send, turned off or no address


def language_of(user, pref: NotificationPreference | None) -> str:
    code = (pref.language if pref else "") or settings.LANGUAGE_CODE
    return "ja" if code.startswith("ja") else "en"


def _recipients():
    """Active people with an address and a role, with their preference (defaults when none saved)."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__isnull=False)
        .exclude(email="")
        .distinct()
        .order_by("username")
    )
    prefs = {p.user_id: p for p in NotificationPreference.objects.all()}
    for user in users:
        yield user, prefs.get(user.pk) or NotificationPreference(user=user)


def _day_text(day: dt.date | None) -> str:
    return day.isoformat() if day else _("no due date")


def _task_line(task: Task, today: dt.date) -> str:
    if task.overdue(today):
        state = _("OVERDUE, was due {day}").format(day=_day_text(task.due_day()))
    elif isinstance(task.due, dt.datetime):
        state = _("due {when}").format(when=display_local(task.due))
    else:
        state = _("due {day}").format(day=_day_text(task.due_day()))
    return f"- [{state}] {task.title}\n  {absolute_url(task.url)}"


def _footer() -> str:
    return _(
        "You receive this because you have a role in evqms. Turn these messages off on your notifications page: {url}"
    ).format(url=absolute_url(reverse("accounts:notifications")))


def digest_message(user, tasks: list[Task], today: dt.date) -> tuple[str, str]:
    """The subject and body of the day's digest, in the active language."""
    s = worklist.summary(tasks, today)
    subject = _("[evqms] Your tasks for {day}: {n} ({overdue} overdue)").format(
        day=today.isoformat(), n=s.total, overdue=s.overdue
    )
    lines = [
        _("Hello {name},").format(name=user.signature_name()),
        "",
        _("These are your tasks in evqms on {day} ({zone}), oldest due first:").format(
            day=today.isoformat(), zone=timezone.get_current_timezone_name()
        ),
        "",
    ]
    for kind, label, count in s.by_kind:
        lines.append(f"{label} ({count})")
        lines += [_task_line(t, today) for t in tasks if t.kind == kind]
        lines.append("")
    lines += [_("Sent {when}.").format(when=display_local(timezone.now())), "", _footer()]
    return subject, "\n".join(lines)


def due_message(user, task: Task, today: dt.date) -> tuple[str, str]:
    subject = _("[evqms] Due: {title}").format(title=task.title)
    body = "\n".join(
        [
            _("Hello {name},").format(name=user.signature_name()),
            "",
            _("This task of yours falls due within 24 hours:"),
            "",
            _task_line(task, today),
            "",
            _("Sent {when}.").format(when=display_local(timezone.now())),
            "",
            _footer(),
        ]
    )
    return subject, body


def _send(user, subject: str, body: str) -> None:
    EmailMessage(subject=subject, body=body, to=[user.email]).send(fail_silently=False)


def send_digests(*, today: dt.date | None = None) -> Outcome:
    """Today's digest to each person who wants it and has tasks; at most once a day each."""
    today = today or timezone.localdate()
    outcome = Outcome()
    for user, pref in _recipients():
        if not pref.digest:
            outcome.skipped += 1
            continue
        with translation.override(language_of(user, pref)):
            tasks = worklist.tasks_for(user)
            if not tasks:
                outcome.skipped += 1
                continue
            subject, body = digest_message(user, tasks, today)
            with transaction.atomic():
                if not claim_notification(
                    user=user,
                    kind="digest",
                    key=today.isoformat(),
                    day=today,
                    subject=subject,
                    tasks=len(tasks),
                ):
                    outcome.skipped += 1
                    continue
                _send(user, subject, body)
        outcome.sent += 1
    return outcome


def task_key(task: Task) -> str:
    """A task's identity for 'once per task': its kind, page and due day."""
    day = task.due_day()
    return f"{task.kind}|{task.url}|{day.isoformat() if day else ''}"


def falls_due(task: Task, now: dt.datetime) -> bool:
    """Due within the next 24 hours and not yet overdue (the overdue ones are in the digest). A task
    dated by day is due until that day ends: today's and, before midnight, tomorrow's."""
    if task.due is None:
        return False
    if isinstance(task.due, dt.datetime):
        return now <= task.due <= now + dt.timedelta(hours=24)
    today = timezone.localtime(now).date()
    return today <= task.due <= timezone.localtime(now + dt.timedelta(hours=24)).date()


def send_due(*, now: dt.datetime | None = None) -> Outcome:
    """A message for each task that falls due within 24 hours, once per task and person."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    outcome = Outcome()
    for user, pref in _recipients():
        if not pref.immediate:
            outcome.skipped += 1
            continue
        with translation.override(language_of(user, pref)):
            for task in worklist.tasks_for(user):
                if not falls_due(task, now):
                    continue
                subject, body = due_message(user, task, today)
                with transaction.atomic():
                    if not claim_notification(
                        user=user, kind="due", key=task_key(task), day=today, subject=subject, tasks=1
                    ):
                        outcome.skipped += 1
                        continue
                    _send(user, subject, body)
                outcome.sent += 1
    return outcome
