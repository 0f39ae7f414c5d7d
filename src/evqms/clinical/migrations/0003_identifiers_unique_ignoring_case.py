"""Identifiers are unique ignoring letter case (evqms.core.identifiers).

First the stored rows that break the identifier rule are listed (QA corrects them with a reason:
`evqms identifiers check`, the page /identifiers/); rows that differ only in letter case stop the
migration, named, because the constraint could not hold.
"""

from django.db import migrations, models
from django.db.models.functions import Lower

from evqms.core.identifiers import migration_check


class Migration(migrations.Migration):
    dependencies = [("clinical", "0002_trace_covering_indexes")]

    operations = [
        migrations.RunPython(
            migration_check("patient", "administration", "adverse_event"),
            migrations.RunPython.noop,
            elidable=True,
        ),
        migrations.AddConstraint(
            model_name="administration",
            constraint=models.UniqueConstraint(Lower("number"), name="adm_number_ci_uniq"),
        ),
        migrations.AddConstraint(
            model_name="adverseevent",
            constraint=models.UniqueConstraint(Lower("number"), name="ae_number_ci_uniq"),
        ),
        migrations.AddConstraint(
            model_name="patient",
            constraint=models.UniqueConstraint(Lower("code"), name="patient_code_ci_uniq"),
        ),
    ]
