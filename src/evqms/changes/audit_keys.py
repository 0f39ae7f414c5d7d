"""How the audit trail finds change requests (see audit/keys.py)."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import names_by, register_area, register_key, register_record, resolve_by
from evqms.changes.models import ChangeRequest

register_area("changes", label=_("Change control"))
register_record(
    "change_request",
    label=_("Change request"),
    area="changes",
    names=names_by(ChangeRequest, "number"),
    url_name="changes:detail",
)
register_key(
    "change_request",
    label=_("Change request number"),
    object_type="change_request",
    resolve=resolve_by(ChangeRequest, "number"),
)
