"""Covering indexes for the forward trace (recall) on PostgreSQL.

A forward trace from a donor reaches ~500 administrations; per aliquot it looks up the
administration link, the administration and the patient's code. With these indexes each lookup is
an index-only scan (no heap page), which took the donor trace at 1,000,000 administrations from
~15 to ~11.5 ms median on the benchmark machine (docs/performance.md). SQLite has no INCLUDE, and
its existing indexes already serve the same lookups, so this migration does nothing there.
"""

from django.db import migrations

INDEXES = (
    ("admaliquot_aliquot_cov", "clinical_administeredaliquot", "aliquot_id", "administration_id"),
    (
        "adm_trace_cov",
        "clinical_administration",
        "id",
        "number, administered_at, route, physician_id, patient_id",
    ),
    ("patient_code_cov", "clinical_patient", "id", "code"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, key, include in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({key}) INCLUDE ({include})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, *_rest in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
