"""Tampering that a consistent-looking chain used to hide: deleting the newest events or a signature
row, emptying the tables, setting the stored head back, replacing the checkpoint file.

Each case tampers the way an owner of the database (or of the SQLite file) can: past the triggers.
"""

import json
import shutil
import sys

import pytest
from django.db import DatabaseError, connection, transaction

from evqms.audit import checkpoints
from evqms.audit.models import AuditEvent, ChainHead, Signature
from evqms.audit.selectors import verify_chain
from evqms.audit.services import invalidate_signature, record_event, sign, write_checkpoint
from evqms.cli import main

pytestmark = pytest.mark.django_db

EVERY = 5


@pytest.fixture
def cp(settings, tmp_path, django_capture_on_commit_callbacks):
    """Checkpoints on, every 5 events, in a file and with a key of this test's own."""
    settings.AUDIT_CHECKPOINTS = True
    settings.AUDIT_CHECKPOINT_EVERY = EVERY
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "home" / "audit-checkpoints.log"
    settings.AUDIT_CHECKPOINT_KEY_FILE = tmp_path / "home" / "audit-checkpoint.key"
    settings.AUDIT_CHECKPOINT_HOOK = ""
    return django_capture_on_commit_callbacks


def _events(capture, n, start=0):
    for i in range(start, start + n):
        with capture(execute=True), transaction.atomic():
            record_event(actor=None, action="test.change", object_type="thing", object_id=i, after={"v": i})


def _sql(*statements):
    with connection.cursor() as cur:
        for statement in statements:
            cur.execute(statement)


def _drop_guards(*tables):
    """What an owner does first: drop the append-only and head triggers."""
    for table in tables:
        if connection.vendor == "postgresql":
            names = ("append_only", "no_truncate", "guard")
            _sql(*(f"DROP TRIGGER IF EXISTS {table}_{n} ON {table}" for n in names))
        else:
            names = ("no_update", "no_delete", "genesis_only", "advance_only")
            _sql(*(f"DROP TRIGGER IF EXISTS {table}_{n}" for n in names))


def _problems(result):
    return [f.problem for f in result.findings]


def _latest_checkpoint():
    return checkpoints.parse_line(checkpoints.latest_line())


# --- deleting the newest events --------------------------------------------------------------


def test_deleting_the_newest_events_is_named_against_the_stored_head(cp, capsys):
    _events(cp, 8)
    last = AuditEvent.objects.order_by("-seq").first().seq
    _drop_guards("audit_auditevent")
    _sql(f"DELETE FROM audit_auditevent WHERE seq > {last - 3}")
    result = verify_chain()
    assert not result.ok and result.problem == "stored-head-ahead"
    assert result.findings[0].detail == {"first": last - 2, "last": last}
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"events #{last - 2} to #{last} are missing" in out and "intact" not in out


def test_deleting_events_and_setting_the_head_back_is_caught_by_the_checkpoint(cp, capsys):
    _events(cp, 12)
    latest = _latest_checkpoint()
    assert AuditEvent.objects.get(seq=latest.seq).hash == latest.hash
    keep = latest.seq - 2
    _drop_guards("audit_auditevent", "audit_chainhead")
    _sql(f"DELETE FROM audit_auditevent WHERE seq > {keep}")
    kept = AuditEvent.objects.get(seq=keep)
    ChainHead.objects.filter(pk=1).update(seq=keep, hash=kept.hash)  # consistent again in the database
    result = verify_chain()
    assert "checkpoint-ahead" in _problems(result)
    finding = next(f for f in result.findings if f.problem == "checkpoint-ahead")
    assert (finding.detail["first"], finding.detail["last"]) == (keep + 1, latest.seq)
    assert main(["audit", "verify"]) == 1
    assert f"events #{keep + 1} to #{latest.seq} are missing since that checkpoint" in capsys.readouterr().out


# --- signatures ------------------------------------------------------------------------------------


@pytest.fixture
def signed(cp, make_user, rf_request):
    with cp(execute=True):
        qa = make_user("qa-tamper", "qa_reviewer")
    with cp(execute=True):
        sig = sign(
            request=rf_request,
            signer=qa,
            password=qa.raw_password,
            meaning="release",
            object_type="lot",
            object_id="L-9",
            record={"lot": "L-9"},
        )
    _events(cp, 2)
    return qa, sig


def test_a_deleted_signature_row_is_named(signed, capsys):
    _qa, sig = signed
    assert verify_chain().ok
    _drop_guards("audit_signature")
    _sql(f"DELETE FROM audit_signature WHERE id = {sig.pk}")
    result = verify_chain()
    assert _problems(result) == ["signature-missing"]
    assert result.findings[0].detail == {"signature": sig.pk}
    event = AuditEvent.objects.get(action="signature.release")
    assert result.broken_seq == event.seq
    assert main(["audit", "verify"]) == 1
    assert f"signature {sig.pk} recorded by this event is missing (deleted)" in capsys.readouterr().out


def test_an_altered_signature_row_is_named(signed):
    _qa, sig = signed
    _drop_guards("audit_signature")
    Signature.objects.filter(pk=sig.pk).update(reason="signed for another reason")
    result = verify_chain()
    assert _problems(result) == ["signature-altered"]


def test_a_deleted_invalidation_is_named(cp, signed):
    qa, sig = signed
    with cp(execute=True), transaction.atomic():
        invalidate_signature(actor=qa, signature=sig, reason="signed the wrong lot")
    assert verify_chain().ok
    _drop_guards("audit_signatureinvalidation")
    _sql("DELETE FROM audit_signatureinvalidation")
    assert _problems(verify_chain()) == ["invalidation-missing"]


def test_a_signature_row_inserted_outside_the_application_is_named(signed):
    qa, sig = signed
    forged = Signature.objects.create(
        signer=qa,
        printed_name=sig.printed_name,
        signed_at=sig.signed_at,
        meaning="approval",
        object_type="lot",
        object_id="L-9",
        record_hash=sig.record_hash,
        record=sig.record,
    )
    result = verify_chain()
    assert (
        _problems(result) == ["signature-unrecorded"] and result.findings[0].detail["signature"] == forged.pk
    )


# --- emptying the tables ---------------------------------------------------------------------------


def _empty_audit_tables():
    tables = ("audit_auditevent", "audit_chainhead")  # signatures are referenced by lots
    _drop_guards(*tables)
    if connection.vendor == "postgresql":
        _sql("SET CONSTRAINTS ALL IMMEDIATE", "TRUNCATE " + ", ".join(tables))
    else:
        _sql(*(f"DELETE FROM {t}" for t in tables))


def test_dropping_the_triggers_and_truncating_is_caught_by_the_checkpoint(cp, capsys):
    _events(cp, 7)
    latest = _latest_checkpoint()
    _empty_audit_tables()
    assert AuditEvent.objects.count() == 0 and not ChainHead.objects.exists()
    result = verify_chain()
    assert not result.ok and result.events == 0
    finding = next(f for f in result.findings if f.problem == "checkpoint-ahead")
    assert (finding.detail["first"], finding.detail["last"]) == (1, latest.seq)
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "intact" not in out and f"events #1 to #{latest.seq} are missing" in out


def test_an_empty_chain_with_a_stored_head_is_broken(cp):
    _events(cp, 3)
    _drop_guards("audit_auditevent")
    _sql("DELETE FROM audit_auditevent")
    result = verify_chain()
    assert result.problem == "stored-head-ahead" and result.findings[0].detail == {"first": 1, "last": 4}


# --- the stored head -------------------------------------------------------------------------------


def test_the_stored_head_cannot_be_set_back_while_its_trigger_stands(cp):
    _events(cp, 3)
    for statement in (
        "UPDATE audit_chainhead SET seq = seq - 1",
        "UPDATE audit_chainhead SET hash = 'x'",
        "DELETE FROM audit_chainhead",
    ):
        with pytest.raises(DatabaseError, match="evqms"):
            with transaction.atomic():
                _sql(statement)
    assert verify_chain().ok


def test_an_edited_stored_head_is_named(cp, capsys):
    _events(cp, 6)
    _drop_guards("audit_chainhead")
    _sql("UPDATE audit_chainhead SET seq = seq - 2")
    head = ChainHead.objects.get(pk=1).seq
    result = verify_chain()
    assert result.problem == "stored-head-behind" and result.findings[0].detail == {
        "head": head,
        "last": head + 2,
    }
    # change the first hex digit whatever it is ('f' || ... left a hash that began with f unchanged)
    _sql(
        "UPDATE audit_chainhead SET seq = seq + 2, "
        "hash = CASE WHEN substr(hash, 1, 1) = '0' THEN '1' ELSE '0' END || substr(hash, 2)"
    )
    assert verify_chain().problem == "stored-head-differs"
    _sql("DELETE FROM audit_chainhead")
    assert verify_chain().problem == "stored-head-missing"
    assert main(["audit", "verify"]) == 1
    assert "stored chain head is missing" in capsys.readouterr().out


# --- the checkpoint file ---------------------------------------------------------------------------


def test_checkpoints_are_written_every_n_events_and_verified(cp, settings, capsys):
    _events(cp, 12)
    lines = checkpoints.read_lines()
    events = list(AuditEvent.objects.filter(action=checkpoints.ACTION).order_by("seq"))
    # The first write, then every 5 events: checkpoint events #1, #7, #13.
    assert [e.seq for e in events] == [1, 7, 13]
    assert [checkpoints.parse_line(t).seq for _n, t in lines] == [1, 7, 13]
    assert all(checkpoints.parse_line(t).hash == e.hash for (_n, t), e in zip(lines, events, strict=True))
    result = verify_chain()
    assert result.ok and result.checkpoint["seq"] == 13 and result.checkpoint["since"] == 2
    assert main(["audit", "verify"]) == 0
    assert "latest checkpoint: event #13" in capsys.readouterr().out
    path = settings.AUDIT_CHECKPOINT_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert settings.AUDIT_CHECKPOINT_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert checkpoints.load_key(create=False).hex() not in path.read_text()


def test_a_checkpoint_file_replaced_by_an_older_copy_is_named(cp, settings, tmp_path):
    _events(cp, 3)
    older = tmp_path / "older.log"
    shutil.copy(settings.AUDIT_CHECKPOINT_FILE, older)
    _events(cp, 8, start=3)
    shutil.copy(older, settings.AUDIT_CHECKPOINT_FILE)
    result = verify_chain()
    assert _problems(result) == ["checkpoint-line-missing"] and result.broken_seq == 7


def test_a_forged_or_deleted_checkpoint_file_or_a_new_key_is_named(cp, settings):
    _events(cp, 8)
    path = settings.AUDIT_CHECKPOINT_FILE
    good = path.read_text()
    lines = good.splitlines()
    forged = lines[-1].replace("seq=7 ", "seq=3 ")
    path.write_text("\n".join([*lines[:-1], forged]) + "\n")
    result = verify_chain()
    assert result.problem == "checkpoint-bad" and result.findings[0].detail["line"] == len(lines)
    path.unlink()
    result = verify_chain()
    assert result.problem == "checkpoint-file-missing" and result.findings[0].detail["count"] == 2
    path.write_text(good)
    assert verify_chain().ok
    settings.AUDIT_CHECKPOINT_KEY_FILE.write_text("ab" * 32 + "\n")  # a new key: old MACs fail
    assert set(_problems(verify_chain())) >= {"checkpoint-bad"}


def test_a_checkpoint_kept_off_the_machine_catches_a_consistent_rollback(cp, settings, tmp_path):
    _events(cp, 3)
    older = tmp_path / "older.log"
    shutil.copy(settings.AUDIT_CHECKPOINT_FILE, older)
    keep = AuditEvent.objects.order_by("-seq").first()
    _events(cp, 8, start=3)
    copied_off = checkpoints.latest_line()
    # Roll everything back to `keep`: events, the stored head and the checkpoint file.
    _drop_guards("audit_auditevent", "audit_chainhead")
    _sql(f"DELETE FROM audit_auditevent WHERE seq > {keep.seq}")
    ChainHead.objects.filter(pk=1).update(seq=keep.seq, hash=keep.hash)
    shutil.copy(older, settings.AUDIT_CHECKPOINT_FILE)
    assert verify_chain().ok  # nothing on this machine disagrees any more...
    result = verify_chain(external_checkpoints=[copied_off])  # ...but the copy kept elsewhere does
    assert result.problem == "checkpoint-ahead"
    assert main(["audit", "verify", "--checkpoint", copied_off]) == 1


def test_checkpoint_command_writes_and_prints_and_the_hook_copies(cp, settings, tmp_path, capsys):
    copy = tmp_path / "offsite.txt"
    settings.AUDIT_CHECKPOINT_HOOK = (
        f"{sys.executable} -c \"import sys; open({str(copy)!r}, 'a').write(sys.stdin.read())\""
    )
    _events(cp, 2)
    with cp(execute=True):
        assert main(["audit", "checkpoint"]) == 0
    line = capsys.readouterr().out.strip()
    written = checkpoints.parse_line(line)
    assert written.seq == AuditEvent.objects.order_by("-seq").first().seq
    assert written.mac_ok(checkpoints.load_key(create=False))
    assert main(["audit", "checkpoint", "--print"]) == 0
    assert capsys.readouterr().out.strip() == line
    assert copy.read_text().splitlines()[-1] == line  # the hook got every line
    assert len(copy.read_text().splitlines()) == 2  # the first write's and this one
    assert main(["audit", "checkpoint", "--print", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["seq"] == written.seq


def test_checkpoint_print_without_a_checkpoint_exits_1(cp, capsys):
    assert main(["audit", "checkpoint", "--print"]) == 1
    assert "no checkpoint yet" in capsys.readouterr().err


def test_a_rolled_back_transaction_writes_no_checkpoint_line(cp):
    _events(cp, 1)
    with pytest.raises(ZeroDivisionError), cp(execute=True), transaction.atomic():
        write_checkpoint()
        raise ZeroDivisionError
    assert len(checkpoints.read_lines()) == 1
    assert verify_chain().ok


def test_messages_in_japanese_with_exit_1(cp, capsys, monkeypatch):
    _events(cp, 4)
    _drop_guards("audit_auditevent")
    _sql("DELETE FROM audit_auditevent WHERE seq > 3")
    monkeypatch.setenv("EVQMS_LANG", "ja")
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "監査証跡がイベント #4 で破損しています" in out and "#4 から #5" in out
    monkeypatch.setenv("EVQMS_LANG", "en")
    assert main(["audit", "verify", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["findings"][0] == {
        "problem": "stored-head-ahead",
        "seq": 4,
        "first": 4,
        "last": 5,
    }
    assert data["messages"][0].startswith("audit trail BROKEN at event #4")


def test_the_trail_page_names_what_is_missing(cp, client, make_user):
    with cp(execute=True):
        auditor = make_user("aud-tamper", "auditor")
    _events(cp, 4)
    _drop_guards("audit_auditevent")
    last = ChainHead.objects.get(pk=1).seq
    _sql("DELETE FROM audit_auditevent WHERE seq > 4")
    client.force_login(auditor)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/audit/?verify=1").content.decode()
    assert "Broken" in body and f"events #5 to #{last} are missing (deleted or truncated)" in body


def test_the_first_write_of_a_new_day_writes_a_checkpoint(cp, monkeypatch):
    import datetime as dt

    from evqms.audit import services

    _events(cp, 3)  # checkpoint #1, events #2-#4: none due yet (every 5)
    assert AuditEvent.objects.filter(action=checkpoints.ACTION).count() == 1
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    monkeypatch.setattr(services, "_utc_now", lambda: tomorrow)
    _events(cp, 1, start=3)
    daily = AuditEvent.objects.filter(action=checkpoints.ACTION).order_by("-seq").first()
    assert daily.seq == 5 and daily.reason == "first write of the day"
    assert _latest_checkpoint().seq == 5 and verify_chain().ok


def test_an_audited_write_between_checkpoints_costs_one_indexed_read_and_no_file(cp, monkeypatch):
    """The hot path: between checkpoints, an audited write locks the head, reads the latest checkpoint
    event (one indexed query, never a count of the events) and neither reads nor writes a file."""
    from django.test.utils import CaptureQueriesContext

    from evqms.core import keyfile

    _events(cp, 2)  # the first writes a checkpoint; the second does not
    for name in ("read", "read_or_create"):
        monkeypatch.setattr(keyfile, name, lambda *a, **k: pytest.fail("a key file read on an audited write"))
    monkeypatch.setattr(checkpoints, "read_lines", lambda: pytest.fail("the checkpoint file read"))
    monkeypatch.setattr(checkpoints, "append", lambda c: pytest.fail("a checkpoint line written"))
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        record_event(actor=None, action="test.change", object_type="thing", object_id="x")
    sql = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("BEGIN", "SAVEPOINT", "RELEASE"))
    ]
    # the latest checkpoint is known from the last commit. SQLite: head (locked), the event, the head
    # moved. PostgreSQL: one round trip, the event inserted under the head's lock, then the head moved.
    statements = [part for s in sql for part in s.split("; ")]
    if connection.vendor == "postgresql":
        assert len(sql) == 1 and len(statements) == 2, sql
        assert "FOR UPDATE" in statements[0] and statements[1].startswith("UPDATE"), sql
    else:
        assert len(statements) == 3, sql
    assert not any("COUNT(" in s.upper() for s in sql)
