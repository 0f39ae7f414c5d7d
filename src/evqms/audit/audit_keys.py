"""The audit trail's own records in its search (see audit/keys.py)."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import register_area, register_record

register_area("audit", label=_("Audit trail"))
register_record("audit", label=_("Audit trail"), area="audit")
