"""Identifiers are unique ignoring letter case (evqms.core.identifiers).

First the stored rows that break the identifier rule are listed (QA corrects them with a reason:
`evqms identifiers check`, the page /identifiers/); rows that differ only in letter case stop the
migration, named, because the constraint could not hold.
"""

from django.db import migrations, models
from django.db.models.functions import Lower

from evqms.core.identifiers import migration_check


class Migration(migrations.Migration):
    dependencies = [("dossier", "0004_release_shelf_life_retention_bom")]

    operations = [
        migrations.RunPython(
            migration_check("product", "donor", "cell_bank", "material_lot"),
            migrations.RunPython.noop,
            elidable=True,
        ),
        migrations.AddConstraint(
            model_name="cellbank",
            constraint=models.UniqueConstraint(Lower("code"), name="cellbank_code_ci_uniq"),
        ),
        migrations.AddConstraint(
            model_name="donor",
            constraint=models.UniqueConstraint(Lower("code"), name="donor_code_ci_uniq"),
        ),
        migrations.AddConstraint(
            model_name="materiallot",
            constraint=models.UniqueConstraint(
                models.F("material"), Lower("lot_number"), name="materiallot_number_ci_uniq"
            ),
        ),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.UniqueConstraint(Lower("code"), name="product_code_ci_uniq"),
        ),
    ]
