"""PostgreSQL: the application's role reads and writes rows, but cannot delete, update or truncate
the audit and signature tables, drop their triggers, or use the test suite's purge switch."""

import datetime as dt

import pytest
from django.db import connection, transaction

from evqms.audit.chain import event_hash
from evqms.audit.dbroles import grant_app_role
from evqms.audit.models import AuditEvent, ChainHead
from evqms.audit.selectors import verify_chain
from evqms.audit.services import record_event, sign

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the grants must be committed for another connection
]

GUARDED = ("audit_auditevent", "audit_signature", "audit_signatureinvalidation", "audit_chainhead")


@pytest.fixture
def app_conn():
    if connection.vendor != "postgresql":
        pytest.skip("database roles exist on PostgreSQL only")
    import psycopg

    params = connection.get_connection_params()
    role = f"{params['dbname']}_app"[:63]

    def drop_role():
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cur.fetchone():
                cur.execute(f'DROP OWNED BY "{role}"')
                cur.execute(f'DROP ROLE "{role}"')

    drop_role()
    grant_app_role(role, create=True)
    conn = psycopg.connect(
        host=params.get("host"), port=params.get("port"), dbname=params["dbname"], user=role, autocommit=True
    )
    try:
        yield conn
    finally:
        conn.close()
        drop_role()


@pytest.fixture
def data(make_user, rf_request):
    qa = make_user("qa-roles", "qa_reviewer")
    sign(
        request=rf_request,
        signer=qa,
        password=qa.raw_password,
        meaning="approval",
        object_type="doc",
        object_id=1,
        record={"v": 1},
    )
    from evqms.audit.models import Signature
    from evqms.audit.services import invalidate_signature

    invalidate_signature(actor=qa, signature=Signature.objects.get(), reason="wrong document")
    with transaction.atomic():
        record_event(actor=None, action="test.x", object_type="t", object_id=1)


def _refused(conn, statement):
    import psycopg

    with pytest.raises(psycopg.Error) as info:
        conn.execute(statement)
    return str(info.value)


def test_the_app_role_cannot_delete_update_truncate_or_drop_triggers(app_conn, data):
    before = AuditEvent.objects.count()
    for table in GUARDED:
        for statement in (f"DELETE FROM {table}", f"TRUNCATE {table} CASCADE"):
            assert "permission denied" in _refused(app_conn, statement)
        if table != "audit_chainhead":
            assert "permission denied" in _refused(app_conn, f"UPDATE {table} SET id = id")
    for trigger, table in (
        ("audit_auditevent_append_only", "audit_auditevent"),
        ("audit_signature_no_truncate", "audit_signature"),
        ("audit_chainhead_guard", "audit_chainhead"),
    ):
        assert "must be owner" in _refused(app_conn, f"DROP TRIGGER {trigger} ON {table}")
    assert "must be owner" in _refused(app_conn, "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
    assert "permission denied" in _refused(app_conn, "SET session_replication_role = replica")
    # The head it may update, but only one step along the chain:
    assert "only advances" in _refused(app_conn, "UPDATE audit_chainhead SET seq = seq - 1")
    assert AuditEvent.objects.count() == before
    assert verify_chain().ok


def test_the_purge_switch_does_not_work_for_the_app_role(app_conn, data):
    # Even with DELETE granted by mistake, the trigger refuses the switch to a non-owner.
    with connection.cursor() as cur:
        cur.execute(f'GRANT DELETE ON audit_auditevent, audit_signature TO "{app_conn.info.user}"')
    app_conn.execute("SELECT set_config('evqms.allow_purge', 'on', false)")
    assert app_conn.execute("SHOW evqms.allow_purge").fetchone()[0] == "on"
    for table in ("audit_auditevent", "audit_signature"):
        assert "append-only" in _refused(app_conn, f"DELETE FROM {table}")
    assert AuditEvent.objects.count() > 0
    # The owner (as the test suite purges) still can: the switch is the owner's only.
    from evqms.core.maintenance import set_purge_allowed

    set_purge_allowed(connection, True)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_signatureinvalidation")
        assert cur.rowcount == 1


def test_the_app_role_can_append_to_the_chain(app_conn, data):
    head = ChainHead.objects.get(pk=1)
    fields = dict(
        seq=head.seq + 1,
        occurred_at=dt.datetime.now(dt.UTC),
        actor_id=None,
        actor_name="system",
        action="test.app_role",
        object_type="t",
        object_id="2",
        before="",
        after="",
        reason="",
        prev_hash=head.hash,
    )
    digest = event_hash(**fields)
    with app_conn.transaction():
        app_conn.execute(
            "INSERT INTO audit_auditevent (seq, occurred_at, actor_id, actor_name, action, object_type, "
            "object_id, before, after, reason, prev_hash, hash) "
            "VALUES (%(seq)s, %(occurred_at)s, NULL, %(actor_name)s, %(action)s, %(object_type)s, "
            "%(object_id)s, '', '', '', %(prev_hash)s, %(hash)s)",
            {**fields, "hash": digest},
        )
        app_conn.execute(
            "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [fields["seq"], digest]
        )
    assert verify_chain().ok and verify_chain().events == fields["seq"]
