"""PostgreSQL appends an audited event in one statement under the head's lock
(`services._append_in_one_statement`): the database joins the event's text with the locked head's
hash and number and hashes it. The events it writes are the events `event_hash` describes."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from evqms.audit import services as audit_services
from evqms.audit.chain import event_hash
from evqms.audit.models import AuditEvent, ChainHead
from evqms.audit.selectors import verify_chain
from evqms.audit.services import record_event

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement append is PostgreSQL's"),
]

TEXTS = [
    'quote " and \\ backslash',
    "改行\nタブ\t",
    "\x01\x1f\x7f",
    "emoji 🧪",
    "\u2028\u2029",
    "' OR 1=1 --",
    "%s %(x)s",
]


def _write(**kw):
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        event = record_event(action="test.change", object_type="thing", **kw)
    executes = [
        q for q in queries.captured_queries if not q["sql"].startswith(("BEGIN", "SAVEPOINT", "RELEASE"))
    ]
    return event, executes


def test_events_with_any_text_hash_as_event_hash_and_verify(settings, make_user):
    settings.AUDIT_CHECKPOINTS = False
    user = make_user("analyst2", "qc_analyst")
    _write(actor=None, object_id="first")  # the head exists from here on
    for text in TEXTS:
        event, executes = _write(
            actor=user,
            object_id=text,
            before={"v": text},
            after={"w": [text, 1, None]},
            reason=text,
        )
        assert len(executes) == 1, executes  # the one-statement path, not the fallback
        stored = AuditEvent.objects.get(pk=event.pk)
        assert (
            stored.hash
            == event.hash
            == event_hash(
                seq=stored.seq,
                occurred_at=stored.occurred_at,
                actor_id=stored.actor_id,
                actor_name=stored.actor_name,
                action=stored.action,
                object_type=stored.object_type,
                object_id=stored.object_id,
                before=stored.before,
                after=stored.after,
                reason=stored.reason,
                prev_hash=stored.prev_hash,
            )
        )
        assert stored.reason == text and stored.actor_id == user.pk
    result = verify_chain()
    assert result.ok and result.events == AuditEvent.objects.count()
    assert ChainHead.objects.values_list("seq", "hash").get(pk=1) == (event.seq, event.hash)


def test_a_hash_the_database_computed_otherwise_is_refused_and_nothing_is_written(settings, monkeypatch):
    settings.AUDIT_CHECKPOINTS = False
    _write(actor=None, object_id="first")
    head = ChainHead.objects.values_list("seq", "hash").get(pk=1)
    monkeypatch.setattr(audit_services, "row_hash", lambda *a: "0" * 64)
    with pytest.raises(RuntimeError, match="another audit event hash"):
        _write(actor=None, object_id="second")
    assert ChainHead.objects.values_list("seq", "hash").get(pk=1) == head
    assert AuditEvent.objects.count() == 1
