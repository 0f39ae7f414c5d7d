"""The landscape's records in the audit trail's search (see audit/keys.py)."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import register_area, register_record

register_area("landscape", label=_("Landscape"))
for _type, _label in (
    ("trial", _("Trial")),
    ("landscape_ingest", _("Trials ingest")),
    ("landscape_pubmed_series", _("PubMed series")),
    ("landscape_clinic_survey", _("Clinic survey")),
    ("landscape_clinic_result", _("Clinic survey result")),
):
    register_record(_type, label=_label, area="landscape")
