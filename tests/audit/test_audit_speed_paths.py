"""The fast paths of verification give what the generic ones give.

Verification hashes rows read as tuples with their time as text (`chain.row_hash`), not model
instances through the generic canonical encoder.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
from django.db import connection, transaction

from evqms.audit import services as audit_services
from evqms.audit.chain import ROW_FIELDS, at_text, event_hash, row_hash
from evqms.audit.models import AuditEvent, ChainHead
from evqms.audit.selectors import _sqlite_time_text, verify_chain
from evqms.audit.services import record_event
from evqms.core.canonical import canonical_json

TEXTS = [
    "",
    "plain",
    'quote " and \\ backslash',
    "改行\nタブ\t",
    "\x00\x1f\x7f",
    "emoji 🧪",
    "\u2028\u2029",
    "é" * 300,
]


def _generic(**fields):
    return event_hash(**fields)


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("actor_id", [None, 0, 7, 2**62])
def test_row_hash_is_event_hash(text, actor_id):
    at = dt.datetime(2025, 3, 4, 5, 6, 7, 89, tzinfo=dt.UTC)
    fields = dict(
        seq=123456789,
        occurred_at=at,
        actor_id=actor_id,
        actor_name=text,
        action=f"a.{text}",
        object_type=text,
        object_id=f"id-{text}",
        before=canonical_json({"v": text}) if text else "",
        after=canonical_json({"w": [text, 1, None]}),
        reason=text,
        prev_hash="f" * 64,
    )
    assert row_hash(*[at_text(at) if k == "occurred_at" else fields[k] for k in ROW_FIELDS[:-1]]) == _generic(
        **fields
    )


@pytest.mark.parametrize(
    "at",
    [
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC),  # a whole second: no fraction in SQLite's text
        dt.datetime(2025, 1, 1, 23, 59, 59, 999999, tzinfo=dt.UTC),
        dt.datetime(2025, 1, 2, 8, 0, 0, 5, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")),
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    ],
)
def test_time_text_is_canonical_json(at):
    assert json.dumps(at_text(at)) == canonical_json(at)
    assert at_text(at.replace(tzinfo=None)) is None  # naive: left to the generic encoder, which refuses it


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2025-01-01 00:00:00", "2025-01-01T00:00:00.000000Z"),
        ("2025-01-01 00:00:00.000005", "2025-01-01T00:00:00.000005Z"),
        ("2025-01-01T09:00:00+09:00", "2025-01-01T00:00:00.000000Z"),
        ("not a time", None),
    ],
)
@pytest.mark.django_db
def test_sqlite_time_text(stored, expected):
    assert _sqlite_time_text(stored) == expected


def _event(**kw):
    with transaction.atomic():
        return record_event(actor=None, action="test.change", object_type="thing", object_id="x", **kw)


@pytest.mark.django_db
def test_events_on_a_whole_second_verify(monkeypatch, settings):
    settings.AUDIT_CHECKPOINTS = False
    whole = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(audit_services, "_utc_now", lambda: whole)
    for i in range(3):
        _event(after={"i": i})
    result = verify_chain()
    assert result.ok and result.events == 3


@pytest.mark.django_db
def test_the_written_event_is_the_stored_row(settings):
    settings.AUDIT_CHECKPOINTS = False
    event = _event(before={"a": 1}, after={"a": "二"}, reason="why")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert [getattr(stored, f) for f in ROW_FIELDS] == [getattr(event, f) for f in ROW_FIELDS]
    assert ChainHead.objects.values_list("seq", "hash").get(pk=1) == (event.seq, event.hash)
    assert not event._state.adding


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the stored text of a time is SQLite's")
@pytest.mark.django_db
def test_an_edited_time_is_found_on_sqlite(settings):
    settings.AUDIT_CHECKPOINTS = False
    for _ in range(3):
        _event()
    with connection.cursor() as cur:  # the append-only triggers stop an UPDATE: drop them for the test
        cur.execute("DROP TRIGGER audit_auditevent_no_update")
        cur.execute("UPDATE audit_auditevent SET occurred_at = '2020-01-01 00:00:00' WHERE seq = 2")
    result = verify_chain()
    assert result.problem == "edited" and result.broken_seq == 2
