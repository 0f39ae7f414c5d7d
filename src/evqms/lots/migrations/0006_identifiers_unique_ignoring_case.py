"""Identifiers are unique ignoring letter case (evqms.core.identifiers).

First the stored rows that break the identifier rule are listed (QA corrects them with a reason:
`evqms identifiers check`, the page /identifiers/); rows that differ only in letter case stop the
migration, named, because the constraint could not hold.
"""

from django.db import migrations, models
from django.db.models.functions import Lower

from evqms.core.identifiers import migration_check


class Migration(migrations.Migration):
    dependencies = [("lots", "0005_deviation_source_material")]

    operations = [
        migrations.RunPython(migration_check("lot", "deviation"), migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="deviation",
            constraint=models.UniqueConstraint(Lower("number"), name="deviation_number_ci_uniq"),
        ),
        migrations.AddConstraint(
            model_name="lot",
            constraint=models.UniqueConstraint(Lower("number"), name="lot_number_ci_uniq"),
        ),
    ]
