import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLE = "landscape_clinicresultoverride"


def create_triggers(apps, schema_editor):
    """Reviewers' decisions are append-only, like trial overrides (migration 0002)."""
    conn = schema_editor.connection
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(
                f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
                f"FOR EACH ROW EXECUTE FUNCTION evqms_append_only();"
            )
            cur.execute(
                f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION evqms_append_only();"
            )
        elif conn.vendor == "sqlite":
            for op, when in (("UPDATE", ""), ("DELETE", "WHEN NOT evqms_purge_allowed() ")):
                cur.execute(
                    f"CREATE TRIGGER {TABLE}_no_{op.lower()} BEFORE {op} ON {TABLE} {when}"
                    f"BEGIN SELECT RAISE(ABORT, 'evqms: {op} on {TABLE} is not allowed: "
                    f"the table is append-only'); END;"
                )


def drop_triggers(apps, schema_editor):
    conn = schema_editor.connection
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")
            cur.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};")
        else:
            cur.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update;")
            cur.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_delete;")


class Migration(migrations.Migration):
    dependencies = [
        ("landscape", "0003_clinic_reason_ja"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="clinicresult",
            name="sentence",
            field=models.TextField(blank=True, default="", verbose_name="deciding sentence"),
        ),
        migrations.CreateModel(
            name="ClinicResultOverride",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "decision",
                    models.CharField(
                        choices=[
                            ("included", "included"),
                            ("excluded", "excluded"),
                            ("not_confirmed", "not confirmed"),
                        ],
                        max_length=20,
                        verbose_name="decision",
                    ),
                ),
                ("reason", models.TextField(verbose_name="reason")),
                ("recorded_at", models.DateTimeField(verbose_name="recorded at")),
                ("who", models.CharField(max_length=200, verbose_name="who")),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "result",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="overrides",
                        to="landscape.clinicresult",
                    ),
                ),
            ],
            options={"ordering": ["result_id", "recorded_at", "id"]},
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
