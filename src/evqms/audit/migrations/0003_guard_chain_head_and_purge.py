"""The stored chain head only advances with the chain, and the purge switch needs the table owner.

- audit_chainhead: inserted only at the genesis (seq 0), updated only to the next sequence number
  with that event's hash, never deleted (outside a purge): the head cannot be set back to hide
  deleted events without dropping a trigger, which the application's role cannot do.
- PostgreSQL: `evqms.allow_purge = on` is a session setting any role can set, so it now lets a
  DELETE or TRUNCATE through only for a member of the table's owner (migrations and the test
  suite); the application's role is refused whatever it sets (see evqms.audit.dbroles).
"""

from django.db import migrations

GENESIS = "0" * 64
HEAD = "audit_chainhead"

PG_APPEND_ONLY_WITH_OWNER_CHECK = """
CREATE OR REPLACE FUNCTION evqms_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'UPDATE'
     AND coalesce(current_setting('evqms.allow_purge', true), '') = 'on'
     AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
    RETURN OLD;  -- the owner purging a test database: see evqms.core.maintenance
  END IF;
  RAISE EXCEPTION 'evqms: % on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""

PG_APPEND_ONLY_0002 = """
CREATE OR REPLACE FUNCTION evqms_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'UPDATE' AND coalesce(current_setting('evqms.allow_purge', true), '') = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'evqms: % on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""

PG_HEAD_GUARD = f"""
CREATE OR REPLACE FUNCTION evqms_chainhead_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.seq = 0 AND NEW.hash = '{GENESIS}' THEN
      RETURN NEW;
    END IF;
  ELSIF NEW.id = OLD.id AND NEW.seq = OLD.seq + 1
        AND NEW.hash IS NOT DISTINCT FROM (SELECT hash FROM audit_auditevent WHERE seq = NEW.seq) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'evqms: the audit chain head only advances with the chain, one event at a time';
END;
$$ LANGUAGE plpgsql;
"""

SQLITE_HEAD_TRIGGERS = (
    f"CREATE TRIGGER {HEAD}_genesis_only BEFORE INSERT ON {HEAD} "
    f"WHEN NOT (NEW.seq = 0 AND NEW.hash = '{GENESIS}') "
    "BEGIN SELECT RAISE(ABORT, 'evqms: the audit chain head starts at the genesis'); END;",
    f"CREATE TRIGGER {HEAD}_advance_only BEFORE UPDATE ON {HEAD} "
    "WHEN NOT (NEW.id = OLD.id AND NEW.seq = OLD.seq + 1 "
    "AND NEW.hash IS (SELECT hash FROM audit_auditevent WHERE seq = NEW.seq)) "
    "BEGIN SELECT RAISE(ABORT, 'evqms: the audit chain head only advances with the chain, "
    "one event at a time'); END;",
    f"CREATE TRIGGER {HEAD}_no_delete BEFORE DELETE ON {HEAD} WHEN NOT evqms_purge_allowed() "
    f"BEGIN SELECT RAISE(ABORT, 'evqms: DELETE on {HEAD} is not allowed: the table is append-only'); END;",
)


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(PG_APPEND_ONLY_WITH_OWNER_CHECK)
            cur.execute(PG_HEAD_GUARD)
            cur.execute(
                f"CREATE TRIGGER {HEAD}_guard BEFORE INSERT OR UPDATE ON {HEAD} "
                "FOR EACH ROW EXECUTE FUNCTION evqms_chainhead_guard();"
            )
            cur.execute(
                f"CREATE TRIGGER {HEAD}_append_only BEFORE DELETE ON {HEAD} "
                "FOR EACH ROW EXECUTE FUNCTION evqms_append_only();"
            )
            cur.execute(
                f"CREATE TRIGGER {HEAD}_no_truncate BEFORE TRUNCATE ON {HEAD} "
                "FOR EACH STATEMENT EXECUTE FUNCTION evqms_append_only();"
            )
        elif conn.vendor == "sqlite":
            for statement in SQLITE_HEAD_TRIGGERS:
                cur.execute(statement)
        else:  # pragma: no cover
            raise RuntimeError(f"no chain head guard for database {conn.vendor}")


def backwards(apps, schema_editor):
    conn = schema_editor.connection
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            for name in ("guard", "append_only", "no_truncate"):
                cur.execute(f"DROP TRIGGER IF EXISTS {HEAD}_{name} ON {HEAD};")
            cur.execute("DROP FUNCTION IF EXISTS evqms_chainhead_guard();")
            cur.execute(PG_APPEND_ONLY_0002)
        else:
            for name in ("genesis_only", "advance_only", "no_delete"):
                cur.execute(f"DROP TRIGGER IF EXISTS {HEAD}_{name};")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
