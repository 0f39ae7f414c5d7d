"""How the audit trail finds recalls and holds (see audit/keys.py).

A lot's history holds its recalls and the QA holds that reached it; a product's, cell bank's,
material lot's or adverse event's the holds placed on it."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import (
    children_by,
    int_ids,
    names_by,
    register_area,
    register_children,
    register_key,
    register_record,
    resolve_by,
)
from evqms.lots.models import LotHold
from evqms.trace.models import Hold, Recall

register_area("trace", label=_("Trace, recalls and holds"))
register_record(
    "recall",
    label=_("Recall"),
    area="trace",
    names=names_by(Recall, "number"),
    url_name="trace:recall-detail",
)
register_record(
    "hold", label=_("Hold"), area="trace", names=names_by(Hold, "number"), url_name="trace:hold-detail"
)
register_key("recall", label=_("Recall number"), object_type="recall", resolve=resolve_by(Recall, "number"))
register_key("hold", label=_("Hold number"), object_type="hold", resolve=resolve_by(Hold, "number"))
register_children("lot", children_by(Recall, "lot_id", "recall"))
for _target in ("product", "cell_bank", "material_lot", "adverse_event"):
    register_children(_target, children_by(Hold, f"{_target}_id", "hold"))


def _holds_of_lots(ids):
    numbers = LotHold.objects.filter(lot_id__in=int_ids(ids), source_kind="hold").values("source")
    return [("hold", pk) for pk in Hold.objects.filter(number__in=numbers).values_list("pk", flat=True)]


register_children("lot", _holds_of_lots)
