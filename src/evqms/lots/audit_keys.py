"""How the audit trail finds lots and their records (see audit/keys.py).

A lot's step records, materials used, holds and release signature are events on the lot itself;
its QC results and deviations are records of their own, so they are the lot's children."""

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
from evqms.lots.models import Deviation, Lot, MethodSuitability, QCColumnMapping, QCResult

register_area("lots", label=_("Lots and QC"))
register_record("lot", label=_("Lot"), area="lots", names=names_by(Lot, "number"), url_name="lots:lot-detail")
register_record(
    "qc_result",
    label=_("QC result"),
    area="lots",
    names=names_by(QCResult, ("lot__number", "attribute__code"), fmt=lambda lot, code: f"{lot} {code}"),
)
register_record(
    "deviation",
    label=_("Deviation"),
    area="lots",
    names=names_by(Deviation, "number"),
    url_name="deviations:detail",  # the deviation's page (the capa app serves it)
)
register_record("qc_import", label=_("QC results import"), area="lots")
register_record(
    "method_suitability",
    label=_("Method suitability"),
    area="lots",
    names=names_by(MethodSuitability, "number"),
    url_name="lots:suitability-detail",
)
register_record(
    "qc_column_mapping",
    label=_("QC import column mapping"),
    area="lots",
    names=names_by(QCColumnMapping, "name"),
)
register_key("lot", label=_("Lot number"), object_type="lot", resolve=resolve_by(Lot, "number"))
register_key(
    "deviation", label=_("Deviation number"), object_type="deviation", resolve=resolve_by(Deviation, "number")
)
register_key(
    "method_suitability",
    label=_("Method suitability number"),
    object_type="method_suitability",
    resolve=resolve_by(MethodSuitability, "number"),
)
register_children("lot", children_by(QCResult, "lot_id", "qc_result"))


def _deviations_naming(ids):
    """Every deviation that names the lots (one may name several lots, or none)."""
    rows = Deviation.affected_lots.through.objects.filter(lot_id__in=int_ids(ids))
    return [("deviation", pk) for pk in set(rows.values_list("deviation_id", flat=True))]


register_children("lot", _deviations_naming)
