"""How the audit trail finds CAPA records, and a deviation's CAPA as its child (see audit/keys.py)."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import (
    int_ids,
    names_by,
    register_area,
    register_children,
    register_key,
    register_record,
    resolve_by,
)
from evqms.capa.models import Capa

register_area("capa", label=_("CAPA"))
register_record("capa", label=_("CAPA"), area="capa", names=names_by(Capa, "number"), url_name="capa:detail")
register_key("capa", label=_("CAPA number"), object_type="capa", resolve=resolve_by(Capa, "number"))


def _capas_of_deviations(ids):
    rows = Capa.deviations.through.objects.filter(deviation_id__in=int_ids(ids)).values_list(
        "capa_id", flat=True
    )
    return [("capa", pk) for pk in set(rows)]


register_children("deviation", _capas_of_deviations)
