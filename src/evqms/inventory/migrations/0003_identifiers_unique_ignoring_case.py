"""Identifiers are unique ignoring letter case (evqms.core.identifiers).

First the stored rows that break the identifier rule are listed (QA corrects them with a reason:
`evqms identifiers check`, the page /identifiers/); rows that differ only in letter case stop the
migration, named, because the constraint could not hold.
"""

from django.db import migrations, models
from django.db.models.functions import Lower

from evqms.core.identifiers import migration_check


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_hold_and_distribution")]

    operations = [
        migrations.RunPython(
            migration_check("location", "aliquot"), migrations.RunPython.noop, elidable=True
        ),
        migrations.AddConstraint(
            model_name="aliquot",
            constraint=models.UniqueConstraint(Lower("container_id"), name="aliquot_container_ci_uniq"),
        ),
        migrations.AddConstraint(
            model_name="storagelocation",
            constraint=models.UniqueConstraint(Lower("code"), name="location_code_ci_uniq"),
        ),
    ]
