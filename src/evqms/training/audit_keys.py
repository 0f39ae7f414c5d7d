"""How the audit trail finds media fills and training records (see audit/keys.py)."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import names_by, register_area, register_key, register_record, resolve_by
from evqms.training.models import MediaFill, TrainingRecord

register_area("training", label=_("Training"))
register_record("media_fill", label=_("Media fill"), area="training", names=names_by(MediaFill, "number"))
register_record("training", label=_("Training record"), area="training", names=names_by(TrainingRecord, "pk"))
register_key(
    "media_fill",
    label=_("Media fill number"),
    object_type="media_fill",
    resolve=resolve_by(MediaFill, "number"),
)
