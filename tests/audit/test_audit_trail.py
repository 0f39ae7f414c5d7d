"""The audit trail of record: one event per change, none after rollback, append-only, tamper-evident."""

import json

import pytest
from django.db import DatabaseError, connection, transaction

from evqms.audit.models import AuditEvent
from evqms.audit.selectors import head_hash, verify_chain
from evqms.audit.services import record_event
from evqms.cli import main

pytestmark = pytest.mark.django_db


def _events(n, actor=None):
    for i in range(n):
        with transaction.atomic():
            record_event(
                actor=actor,
                action="test.change",
                object_type="thing",
                object_id=i,
                before={"v": i},
                after={"v": i + 1},
                reason=f"change {i}",
            )


def _drop_triggers():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP TRIGGER audit_auditevent_append_only ON audit_auditevent")
        else:
            cur.execute("DROP TRIGGER audit_auditevent_no_update")
            cur.execute("DROP TRIGGER audit_auditevent_no_delete")


@pytest.mark.django_db(transaction=True)  # no test-wide atomic block around this one
def test_record_event_requires_a_transaction():
    with pytest.raises(RuntimeError):
        record_event(actor=None, action="x", object_type="t", object_id=1)


def test_service_call_writes_one_event_with_actor_and_after(make_user):
    admin = make_user("root-admin", "administrator")
    from evqms.accounts import services

    before = AuditEvent.objects.count()
    user = services.create_user(
        actor=admin,
        username="qa1",
        password="a-long-password-42",
        role_names=["qa_reviewer"],
        printed_name="Q. A. One",
    )
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.actor == admin and event.actor_name == "root-admin"
    assert event.action == "user.create" and event.object_id == str(user.pk)
    after = json.loads(event.after)
    assert after == {
        "email": "",
        "is_active": True,
        "printed_name": "Q. A. One",
        "roles": ["qa_reviewer"],
        "username": "qa1",
    }
    assert "password" not in event.after


def test_rolled_back_change_leaves_no_event():
    before = AuditEvent.objects.count()
    with pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            record_event(actor=None, action="x", object_type="t", object_id=1, after={"a": 1})
            raise ZeroDivisionError
    assert AuditEvent.objects.count() == before
    assert verify_chain().ok


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditevent SET reason = 'forged'", "DELETE FROM audit_auditevent"]
)
def test_raw_update_and_delete_are_rejected_by_the_database(statement):
    _events(2)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement)
    assert AuditEvent.objects.filter(reason="forged").count() == 0
    assert AuditEvent.objects.count() == 2


def test_signature_tables_are_append_only_too(make_user, rf_request):
    from evqms.audit.services import sign

    user = make_user("signer", "qa_reviewer")
    sign(
        request=rf_request,
        signer=user,
        password=user.raw_password,
        meaning="approval",
        object_type="doc",
        object_id=1,
        record={"v": 1},
    )
    for statement in ("UPDATE audit_signature SET printed_name = 'x'", "DELETE FROM audit_signature"):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(statement)


def test_intact_chain_verifies_and_cli_exits_0(capsys):
    _events(5)
    result = verify_chain()
    assert result.ok and result.events == 5
    assert main(["audit", "verify"]) == 0
    assert "5" in capsys.readouterr().out


def test_edited_row_is_named(capsys):
    _events(5)
    _drop_triggers()
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditevent SET after = %s WHERE seq = 3", ['{"v":999}'])
    result = verify_chain()
    assert not result.ok and result.broken_seq == 3 and result.problem == "edited"
    assert main(["audit", "verify", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["broken_seq"] == 3 and out["ok"] is False


def test_deleted_row_is_named(capsys):
    _events(5)
    _drop_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE seq = 2")
    result = verify_chain()
    assert not result.ok and result.broken_seq == 2 and result.problem == "missing"
    assert main(["audit", "verify"]) == 1
    assert "#2" in capsys.readouterr().out


def test_deleted_last_row_is_caught_by_expected_head():
    _events(4)
    _seq, head = head_hash()
    _drop_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE seq = 4")
    result = verify_chain()  # consistent in itself, but shorter than the stored head
    assert not result.ok and result.problem == "stored-head-ahead" and result.broken_seq == 4
    assert "head-mismatch" in {f.problem for f in verify_chain(expect_head=head).findings}


def test_reordered_rows_are_named():
    _events(5)
    _drop_triggers()
    with connection.cursor() as cur:  # swap events 2 and 3 (through a free sequence number)
        cur.execute("UPDATE audit_auditevent SET seq = 1000 WHERE seq = 2")
        cur.execute("UPDATE audit_auditevent SET seq = 2 WHERE seq = 3")
        cur.execute("UPDATE audit_auditevent SET seq = 3 WHERE seq = 1000")
    result = verify_chain()
    assert not result.ok and result.broken_seq == 2


def test_rewritten_chain_is_caught_only_by_expected_head(capsys):
    from evqms.audit.chain import GENESIS, hash_of_row

    _events(4)
    _seq, exported = head_hash()
    _drop_triggers()
    # A forger edits event 2 and recomputes every hash after it: the chain is consistent again.
    prev = GENESIS
    for event in AuditEvent.objects.order_by("seq"):
        if event.seq == 2:
            event.reason = "rewritten"
        event.prev_hash = prev
        event.hash = hash_of_row(event)
        AuditEvent.objects.filter(pk=event.pk).update(
            reason=event.reason, prev_hash=event.prev_hash, hash=event.hash
        )
        prev = event.hash
    assert verify_chain().problem == "stored-head-differs"
    # ...and sets the stored head to the new last hash (past its trigger): consistent again.
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP TRIGGER audit_chainhead_guard ON audit_chainhead")
        else:
            cur.execute("DROP TRIGGER audit_chainhead_advance_only")
        cur.execute("UPDATE audit_chainhead SET hash = %s", [prev])
    assert verify_chain().ok
    result = verify_chain(expect_head=exported)
    assert not result.ok and result.problem == "head-mismatch"
    assert main(["audit", "verify", "--expect-head", exported]) == 1
    assert main(["audit", "export-head"]) == 0
    assert prev in capsys.readouterr().out


def test_row_history_is_kept_for_users(make_user):
    user = make_user("hist", "operator")
    user.printed_name = "Changed"
    user.save()
    assert user.history.count() == 2
