"""A follow-up visit names its instrument use itself, so that an instrument rating the change
(PGIC: no baseline) can have visits planned from the administration; existing visits take their
baseline's use."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models




def uses_from_baselines(apps, schema_editor):
    FollowUpVisit = apps.get_model("clinical", "FollowUpVisit")
    Evaluation = apps.get_model("clinical", "Evaluation")
    use_of = dict(Evaluation.objects.filter(kind="baseline").values_list("id", "instrument_use_id"))
    for visit in FollowUpVisit.objects.filter(instrument_use__isnull=True).only("id", "baseline_id"):
        FollowUpVisit.objects.filter(pk=visit.pk).update(instrument_use_id=use_of[visit.baseline_id])
    Historical = apps.get_model("clinical", "HistoricalFollowUpVisit")
    for row in Historical.objects.filter(instrument_use__isnull=True).exclude(baseline_id=None):
        Historical.objects.filter(pk=row.pk).update(instrument_use_id=use_of.get(row.baseline_id))


class Migration(migrations.Migration):

    dependencies = [
        ('clinical', '0005_evidence_report_issued'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='followupvisit',
            name='visit_baseline_month_uniq',
        ),
        migrations.AddField(
            model_name='followupvisit',
            name='instrument_use',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='clinical.instrumentuse'),
        ),
        migrations.AddField(
            model_name='historicalfollowupvisit',
            name='instrument_use',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='clinical.instrumentuse'),
        ),
        migrations.RunPython(uses_from_baselines, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='followupvisit',
            name='instrument_use',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='clinical.instrumentuse'),
        ),
        migrations.AlterField(
            model_name='followupvisit',
            name='baseline',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='clinical.evaluation'),
        ),
        migrations.AddConstraint(
            model_name='followupvisit',
            constraint=models.UniqueConstraint(fields=('administration', 'instrument_use', 'month'), name='visit_use_month_uniq'),
        ),
    ]
