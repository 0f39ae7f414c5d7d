"""The compliance records in the audit trail's search (see audit/keys.py)."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import register_area, register_record

register_area("compliance", label=_("Compliance"))
for _type, _label in (
    ("risk_register", _("Risk register")),
    ("risk_item", _("Risk item")),
    ("attestation", _("Attestation")),
    ("assessment", _("Assessment")),
    ("comparability", _("Comparability record")),
    ("qms_document_link", _("QMS element document")),
):
    register_record(_type, label=_label, area="compliance")
