"""The work-queue e-mails (web.notify) through Django's local-memory mail backend: who gets what, in
which language, once a day or once per task, and never after turning them off."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from evqms.accounts.models import NotificationPreference, NotificationSent
from evqms.cli import main
from evqms.web import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(world, settings):
    """qa and qa2 have a lot awaiting release and an open deviation; the analysts and the auditor
    have an address too; the auditor has no task."""
    from evqms.lots import services as lots

    settings.EVQMS_BASE_URL = "https://evqms.example.org"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    lot = world.quarantined_lot("UCEV-T-001")
    lots.open_deviation(actor=world.operator, lot=lot, description="seal checked late")
    for user in (world.qa, world.qa2, world.auditor):
        user.email = f"{user.username}@clinic.example"
        user.save(update_fields=["email"])
    return world


def _prefer(user, **values):
    NotificationPreference.objects.update_or_create(user=user, defaults=values)


def test_the_digest_lists_each_persons_tasks_in_english_with_links_and_zone(queue):
    _prefer(queue.qa, language="en")
    today = timezone.localdate()
    outcome = notify.send_digests(today=today)
    assert outcome.sent == 2  # qa and qa2; the auditor has nothing to do
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"qa1@clinic.example", "qa2@clinic.example"}
    message = by_recipient["qa1@clinic.example"]
    assert message.subject == f"[evqms] Your tasks for {today.isoformat()}: 2 (0 overdue)"
    assert "Release or reject lot UCEV-T-001" in message.body
    assert "https://evqms.example.org/lots/UCEV-T-001/#release-gate" in message.body
    assert "Investigate and close deviation DEV-UCEV-T-001-01" in message.body
    assert "Lots awaiting release (1)" in message.body
    assert " JST" in message.body  # the time it was sent, with the zone named
    assert "https://evqms.example.org/accounts/notifications/" in message.body
    sent = NotificationSent.objects.get(user=queue.qa, kind="digest")
    assert (sent.key, sent.tasks, sent.subject) == (today.isoformat(), 2, message.subject)


def test_the_digest_speaks_the_persons_language(queue):
    _prefer(queue.qa, language="ja")
    _prefer(queue.qa2, language="en")
    notify.send_digests()
    by_recipient = {m.to[0]: m for m in mail.outbox}
    ja = by_recipient["qa1@clinic.example"]
    assert ja.subject.startswith("[evqms] ") and "のタスク" in ja.subject
    assert "ロット UCEV-T-001 の出荷判定" in ja.body
    assert "Release or reject" not in ja.body
    assert "Release or reject lot UCEV-T-001" in by_recipient["qa2@clinic.example"].body


def test_a_second_digest_run_the_same_day_sends_nothing_and_the_next_day_sends_again(queue):
    today = timezone.localdate()
    assert notify.send_digests(today=today).sent == 2
    again = notify.send_digests(today=today)
    assert (again.sent, len(mail.outbox)) == (0, 2)
    assert notify.send_digests(today=today + dt.timedelta(days=1)).sent == 2
    assert len(mail.outbox) == 4


def test_a_person_who_turned_the_digest_off_gets_none(queue):
    _prefer(queue.qa, digest=False)
    notify.send_digests()
    assert [m.to for m in mail.outbox] == [["qa2@clinic.example"]]


def test_a_task_due_within_24_hours_is_sent_once_and_not_to_who_turned_it_off(queue, settings):
    settings.EVQMS_TASK_DAYS = {"lot.release": 1}  # the lot's release falls due tomorrow
    _prefer(queue.qa, language="en")
    _prefer(queue.qa2, immediate=False)
    now = timezone.now()
    outcome = notify.send_due(now=now)
    assert outcome.sent == 1  # the release (the deviation is due in 30 days)
    [message] = mail.outbox
    assert message.to == ["qa1@clinic.example"]
    assert message.subject == "[evqms] Due: Release or reject lot UCEV-T-001"
    assert "https://evqms.example.org/lots/UCEV-T-001/#release-gate" in message.body
    assert notify.send_due(now=now + dt.timedelta(hours=1)).sent == 0
    assert len(mail.outbox) == 1


def test_an_overdue_or_distant_task_is_left_to_the_digest(queue, settings):
    settings.EVQMS_TASK_DAYS = {"lot.release": -3}
    assert notify.send_due().sent == 0
    settings.EVQMS_TASK_DAYS = {"lot.release": 5}
    assert notify.send_due().sent == 0


def test_falls_due_counts_a_dated_task_until_its_day_ends():
    from evqms.core.tasks import Task

    # 2026-03-01 22:00 JST (13:00 UTC): today's and tomorrow's tasks are due within 24 hours
    now = dt.datetime(2026, 3, 1, 13, 0, tzinfo=dt.UTC)
    assert notify.falls_due(Task("k", "t", "/", dt.date(2026, 3, 1)), now)
    assert notify.falls_due(Task("k", "t", "/", dt.date(2026, 3, 2)), now)
    assert not notify.falls_due(Task("k", "t", "/", dt.date(2026, 3, 3)), now)
    assert not notify.falls_due(Task("k", "t", "/", dt.date(2026, 2, 28)), now)
    assert notify.falls_due(Task("k", "t", "/", now + dt.timedelta(hours=23)), now)
    assert not notify.falls_due(Task("k", "t", "/", now + dt.timedelta(hours=25)), now)
    assert not notify.falls_due(Task("k", "t", "/", None), now)


def test_the_commands_send_and_report(queue, capsys):
    assert main(["--lang", "en", "notify", "digest"]) == 0
    assert "sent 2, skipped" in capsys.readouterr().out
    assert main(["--lang", "en", "notify", "digest", "--format", "json"]) == 0
    assert '"sent": 0' in capsys.readouterr().out
    assert main(["--lang", "en", "notify", "due"]) == 0
    assert len(mail.outbox) == 2
