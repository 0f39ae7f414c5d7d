import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("audit", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ChangeRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.CharField(max_length=40, unique=True, verbose_name="change request number")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("process", "Manufacturing process"),
                            ("specification", "Specification"),
                            ("material", "Material or supplier"),
                            ("facility", "Facility"),
                            ("equipment", "Equipment"),
                            ("document", "Document"),
                        ],
                        max_length=20,
                        verbose_name="what changes",
                    ),
                ),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                ("description", models.TextField(verbose_name="the change and why")),
                ("product_code", models.CharField(blank=True, max_length=40, verbose_name="product code")),
                ("impact_assessment", models.TextField(blank=True, verbose_name="impact assessment")),
                ("quality_impact", models.BooleanField(default=False, verbose_name="may change product quality")),
                ("comparability_plan", models.TextField(blank=True, verbose_name="comparability plan")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("approved", "Approved"),
                            ("implemented", "Implemented"),
                            ("closed", "Closed"),
                            ("rejected", "Declined"),
                        ],
                        db_index=True,
                        default="draft",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                ("opened_at", models.DateTimeField(verbose_name="opened at")),
                ("approved_at", models.DateTimeField(blank=True, null=True, verbose_name="approved at")),
                ("implementation_summary", models.TextField(blank=True, verbose_name="what was implemented")),
                ("implemented_at", models.DateTimeField(blank=True, null=True, verbose_name="implemented at")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed at")),
                ("rejection_reason", models.TextField(blank=True, verbose_name="reason for rejection")),
                (
                    "approval_signature",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="audit.signature",
                    ),
                ),
                (
                    "closure_signature",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="audit.signature",
                    ),
                ),
                (
                    "implemented_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "opened_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["-opened_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("number"), name="change_request_number_ci_uniq"
                    )
                ],
            },
        ),
    ]
