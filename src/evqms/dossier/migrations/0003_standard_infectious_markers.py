"""Seed the standard donor infectious-marker panel (configurable afterwards: add, or mark not required)."""

from django.db import migrations

STANDARD_PANEL = [
    ("hbv", "HBV (HBsAg, anti-HBc, HBV-DNA)"),
    ("hcv", "HCV (anti-HCV, HCV-RNA)"),
    ("hiv", "HIV-1/2 (anti-HIV-1/2, HIV-RNA)"),
    ("htlv1", "HTLV-1 (anti-HTLV-1)"),
    ("syphilis", "Syphilis (Treponema pallidum)"),
    ("parvo_b19", "Parvovirus B19"),
]


def seed(apps, schema_editor):
    Marker = apps.get_model("dossier", "InfectiousMarker")
    for code, name in STANDARD_PANEL:
        Marker.objects.get_or_create(code=code, defaults={"name": name, "required": True})


def unseed(apps, schema_editor):
    Marker = apps.get_model("dossier", "InfectiousMarker")
    Marker.objects.filter(code__in=[c for c, _n in STANDARD_PANEL], donortestresult__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("dossier", "0002_initial")]

    operations = [migrations.RunPython(seed, unseed)]
