"""Database triggers: audit events and signatures can be inserted, never updated or deleted."""

from django.db import migrations

APPEND_ONLY_TABLES = ("audit_auditevent", "audit_signature", "audit_signatureinvalidation")


def create_triggers(apps, schema_editor):
    conn = schema_editor.connection
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(
                """
                CREATE OR REPLACE FUNCTION evqms_append_only() RETURNS trigger AS $$
                BEGIN
                  IF TG_OP <> 'UPDATE' AND coalesce(current_setting('evqms.allow_purge', true), '') = 'on' THEN
                    RETURN OLD;  -- test databases only: see evqms.core.maintenance
                  END IF;
                  RAISE EXCEPTION 'evqms: % on % is not allowed: the table is append-only', TG_OP, TG_TABLE_NAME;
                END;
                $$ LANGUAGE plpgsql;
                """
            )
            for table in APPEND_ONLY_TABLES:
                cur.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION evqms_append_only();"
                )
                cur.execute(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION evqms_append_only();"
                )
        elif conn.vendor == "sqlite":
            for table in APPEND_ONLY_TABLES:
                for op, when in (("UPDATE", ""), ("DELETE", "WHEN NOT evqms_purge_allowed() ")):
                    cur.execute(
                        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} {when}"
                        f"BEGIN SELECT RAISE(ABORT, 'evqms: {op} on {table} is not allowed: the table is append-only'); END;"
                    )
        else:  # pragma: no cover
            raise RuntimeError(f"no append-only triggers for database {conn.vendor}")


def drop_triggers(apps, schema_editor):
    conn = schema_editor.connection
    with conn.cursor() as cur:
        for table in APPEND_ONLY_TABLES:
            if conn.vendor == "postgresql":
                cur.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
                cur.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
            else:
                cur.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
                cur.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete;")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
