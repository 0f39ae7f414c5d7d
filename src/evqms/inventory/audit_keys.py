"""How the audit trail finds aliquots, shipments and retention samples (see audit/keys.py)."""

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
from evqms.inventory.models import (
    Aliquot,
    Consignee,
    RetentionSample,
    Shipment,
    ShipmentItem,
    StorageLocation,
)

register_area("inventory", label=_("Inventory"))
register_record(
    "aliquot",
    label=_("Aliquot"),
    area="inventory",
    names=names_by(Aliquot, "container_id"),
    url_name="inventory:aliquot-detail",
)
register_record(
    "shipment",
    label=_("Shipment"),
    area="inventory",
    names=names_by(Shipment, "number"),
    url_name="inventory:shipment-detail",
)
register_record(
    "storage_location",
    label=_("Storage location"),
    area="inventory",
    names=names_by(StorageLocation, "code"),
    url_name="inventory:location-detail",
)
register_record("consignee", label=_("Consignee"), area="inventory", names=names_by(Consignee, "code"))
register_record(
    "retention_sample",
    label=_("Retention sample"),
    area="inventory",
    names=names_by(
        RetentionSample,
        ("lot__number", "material_lot__lot_number", "pk"),
        fmt=lambda lot, material_lot, pk: f"{lot or material_lot or ''} #{pk}".strip(),
    ),
)
register_key(
    "aliquot",
    label=_("Aliquot (container id)"),
    object_type="aliquot",
    resolve=resolve_by(Aliquot, "container_id"),
)
register_key(
    "shipment", label=_("Shipment number"), object_type="shipment", resolve=resolve_by(Shipment, "number")
)
register_children("lot", children_by(Aliquot, "lot_id", "aliquot"))
register_children("lot", children_by(RetentionSample, "lot_id", "retention_sample"))
register_children("material_lot", children_by(RetentionSample, "material_lot_id", "retention_sample"))
register_children("aliquot", children_by(RetentionSample, "aliquot_id", "retention_sample"))


def _shipments_of_aliquots(ids):
    rows = ShipmentItem.objects.filter(aliquot_id__in=int_ids(ids)).order_by()
    return [("shipment", pk) for pk in rows.values_list("shipment_id", flat=True).distinct()]


register_children("aliquot", _shipments_of_aliquots)
