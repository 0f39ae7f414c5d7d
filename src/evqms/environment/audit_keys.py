"""How the audit trail finds environmental-monitoring samples and points (see audit/keys.py)."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import names_by, register_area, register_key, register_record, resolve_by
from evqms.environment.models import Sample, SamplingPoint

register_area("environment", label=_("Environmental monitoring"))
for _type in ("em_import", "em_limit", "em_plan", "em_schedule"):
    register_record(_type, label=_("Environmental monitoring"), area="environment")
register_record(
    "em_sample",
    label=_("Environmental sample"),
    area="environment",
    names=names_by(Sample, "number"),
    url_name="environment:sample",
)
register_record(
    "em_point", label=_("Sampling point"), area="environment", names=names_by(SamplingPoint, "code")
)
register_key(
    "em_sample",
    label=_("Environmental sample number"),
    object_type="em_sample",
    resolve=resolve_by(Sample, "number"),
)
