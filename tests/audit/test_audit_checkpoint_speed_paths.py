"""An audited write skips the "is a checkpoint due" query while a committed checkpoint proves
none is; the checkpoints stand where the query would have put them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from evqms.audit import checkpoints
from evqms.audit.models import AuditEvent
from evqms.audit.selectors import verify_chain
from evqms.audit.services import record_event
from evqms.core.timefmt import local_date


def _event():
    with transaction.atomic():
        return record_event(actor=None, action="test.change", object_type="thing", object_id="x")


@pytest.fixture
def cp(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.AUDIT_CHECKPOINTS = True
    settings.AUDIT_CHECKPOINT_EVERY = 4
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.log"
    settings.AUDIT_CHECKPOINT_KEY_FILE = tmp_path / "audit-checkpoint.key"
    settings.AUDIT_CHECKPOINT_HOOK = ""
    checkpoints._known.clear()
    yield django_capture_on_commit_callbacks
    checkpoints._known.clear()


def _committed(capture, n):
    for _ in range(n):
        with capture(execute=True):
            _event()


def _checkpoint_seqs():
    return list(AuditEvent.objects.filter(action=checkpoints.ACTION).values_list("seq", flat=True))


@pytest.mark.django_db
def test_checkpoints_keep_their_spacing_when_the_query_is_skipped(cp):
    _committed(cp, 10)
    # every 4 events: the first write, then each write that finds 4 events after the last checkpoint
    assert _checkpoint_seqs() == [1, 6, 11]
    assert verify_chain().ok


@pytest.mark.django_db
def test_a_rolled_back_checkpoint_is_not_remembered(cp):
    with cp(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _event()  # writes the first checkpoint, then rolls back
            raise RuntimeError
    assert checkpoints._known == {}
    _committed(cp, 1)
    assert _checkpoint_seqs() == [1]  # the next write still writes the first checkpoint


@pytest.mark.django_db
def test_a_chain_shorter_than_the_remembered_checkpoint_is_asked_again(cp):
    today = local_date(dt.datetime.now(dt.UTC))
    checkpoints._known[checkpoints._db_key()] = (50, today)  # e.g. the database was restored
    assert not checkpoints.known_not_due(3, today)
    assert checkpoints._known == {}
    _committed(cp, 1)
    assert _checkpoint_seqs() == [1]


@pytest.mark.django_db
def test_a_checkpoint_of_another_day_does_not_stand_for_today(cp):
    today = local_date(dt.datetime.now(dt.UTC))
    checkpoints._known[checkpoints._db_key()] = (1, today - dt.timedelta(days=1))
    assert not checkpoints.known_not_due(1, today)
