"""Snapshots and overrides are append-only: ingests, their trial records and manual overrides
can be inserted, never updated or deleted (the same guard as the audit tables; the test suite's
purge switch in evqms.core.maintenance is the only way past it)."""

from django.db import migrations

APPEND_ONLY_TABLES = ("landscape_ingest", "landscape_trialrecord", "landscape_trialoverride")


def create_triggers(apps, schema_editor):
    conn = schema_editor.connection
    with conn.cursor() as cur:
        for table in APPEND_ONLY_TABLES:
            if conn.vendor == "postgresql":  # evqms_append_only() comes from audit 0002
                cur.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION evqms_append_only();"
                )
                cur.execute(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION evqms_append_only();"
                )
            elif conn.vendor == "sqlite":
                for op, when in (("UPDATE", ""), ("DELETE", "WHEN NOT evqms_purge_allowed() ")):
                    cur.execute(
                        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} {when}"
                        f"BEGIN SELECT RAISE(ABORT, 'evqms: {op} on {table} is not allowed: "
                        f"the table is append-only'); END;"
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
    dependencies = [("landscape", "0001_initial"), ("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
