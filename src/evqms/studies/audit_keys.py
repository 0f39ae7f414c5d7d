"""The studies' records in the audit trail's search (see audit/keys.py)."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import register_area, register_record

register_area("studies", label=_("Studies"))
for _type, _label in (
    ("nta_import", _("NTA import")),
    ("potency_assay", _("Potency assay")),
    ("potency_run", _("Potency run")),
    ("stability_study", _("Stability study")),
    ("biodistribution_study", _("Biodistribution study")),
    ("dose_response_study", _("Dose-response study")),
):
    register_record(_type, label=_label, area="studies")
