"""Demo inventory: a storage hierarchy, aliquots and retention samples for the released demo lots
(UCEV-24-001, UCEV-24-004), retention records for the biological material lots, two consignees and
one shipment of a UCEV-24-001 unit to the Kyoto clinic (what a recall of that lot would have to
follow). Idempotent; lots that do not exist (yet) or are not released are skipped quietly."""

from __future__ import annotations

from django.db import transaction

from evqms.dossier.models import MaterialLot
from evqms.equipment.models import Instrument
from evqms.errors import EvqmsError
from evqms.inventory.models import Aliquot, Consignee, RetentionSample, Shipment, StorageLocation
from evqms.inventory.services import aliquots, distribution, locations, retention
from evqms.lots.models import Lot

DEMO_LOTS = ("UCEV-24-001", "UCEV-24-004")


def _locations(actor) -> list[StorageLocation]:
    if not StorageLocation.objects.filter(code="TKY").exists():
        site = locations.create_location(
            actor=actor, code="TKY", name="Tokyo cell processing centre", kind="site"
        )
        freezer = locations.create_location(
            actor=actor,
            code="TKY-F01",
            name="-80 °C freezer 1",
            kind="freezer",
            parent=site,
            temperature_c="-80",
        )
        rack = locations.create_location(
            actor=actor, code="TKY-F01-R1", name="Rack 1", kind="rack", parent=freezer
        )
        box = locations.create_location(
            actor=actor, code="TKY-F01-R1-B1", name="Box 1 (9×9)", kind="box", parent=rack, capacity=81
        )
        for i in range(1, 31):
            locations.create_location(
                actor=actor, code=f"TKY-F01-R1-B1-{i:02d}", name=f"Position {i}", kind="position", parent=box
            )
    _link_storage_unit(actor)
    return list(
        StorageLocation.objects.filter(kind="position", code__startswith="TKY-F01-R1-B1-").order_by("code")
    )


def _link_storage_unit(actor) -> None:
    """The freezer is the −80 °C unit FRZ-01 of the equipment register (when the equipment demo made it):
    an excursion recorded on it opens a deviation and holds what it stores."""
    freezer = StorageLocation.objects.filter(code="TKY-F01", storage_unit__isnull=True).first()
    unit = Instrument.objects.filter(identifier="FRZ-01", is_storage_unit=True).first()
    if freezer is not None and unit is not None:
        locations.link_storage_unit(actor=actor, location=freezer, storage_unit=unit)


def load(users: dict) -> None:
    actor = users["operator"]
    lots = [lot for lot in Lot.objects.filter(number__in=DEMO_LOTS, status="released").order_by("number")]
    if not lots:
        return
    positions = _locations(actor)
    free = [
        p
        for p in positions
        if not Aliquot.objects.filter(location=p, status__in=("available", "reserved", "retained")).exists()
    ]
    for lot in lots:
        if Aliquot.objects.filter(lot=lot).exists():
            continue
        try:
            with transaction.atomic():
                places, free = free[:6], free[6:]
                created = aliquots.create_aliquots(
                    actor=actor,
                    lot=lot,
                    count=6,
                    volume_ml="1.0",
                    particle_count="2.0e10",
                    protein_ug="25",
                    locations=places if len(places) == 6 else None,
                )
                if not RetentionSample.objects.filter(lot=lot, status="in_stock").exists():
                    retention.record_retention_sample(actor=actor, aliquot=created[-1])
        except EvqmsError:
            continue
    _distribution(actor)
    for number, kept in (("HPL-24-07", True), ("FBS-23-11", False)):
        mlot = MaterialLot.objects.filter(lot_number=number).first()
        if mlot is None or RetentionSample.objects.filter(material_lot=mlot).exists():
            continue
        if kept:
            retention.record_retention_sample(actor=actor, material_lot=mlot, quantity="5 mL")
        else:
            retention.record_retention_not_kept(
                actor=actor,
                material_lot=mlot,
                reason="Supplier retains samples of each serum lot for 10 years (quality agreement QA-2023-11).",
            )


DEMO_CONSIGNEES = (
    {
        "code": "KYOTO-KNEE",
        "name": "京都ひざ関節クリニック",
        "address": "京都府京都市中京区烏丸通御池上ル 1-1",
        "site": "整形外科 外来処置室",
        "contact_name": "佐藤 恵 (薬剤師)",
        "contact_phone": "075-000-1234",
        "contact_email": "pharmacy@kyoto-knee.example",
    },
    {
        "code": "OSAKA-UH-PH",
        "name": "大阪大学病院 薬剤部",
        "address": "大阪府吹田市山田丘 2-15",
        "site": "薬剤部 治験薬管理室",
        "contact_name": "高橋 亮 (治験薬管理者)",
        "contact_phone": "06-0000-5678",
        "contact_email": "",
    },
)


def _distribution(actor) -> None:
    for data in DEMO_CONSIGNEES:
        if not Consignee.objects.filter(code=data["code"]).exists():
            distribution.create_consignee(actor=actor, **data)
    if Shipment.objects.filter(consignee__code="KYOTO-KNEE").exists():
        return
    unit = Aliquot.objects.filter(container_id="UCEV-24-001-A005", status="available").first()
    if unit is None:
        return
    try:
        distribution.ship_aliquots(
            actor=actor, aliquots=[unit], consignee="KYOTO-KNEE", reference="ヤマト 4471-2290-118"
        )
    except EvqmsError:
        return  # e.g. the lot was recalled or held on this database: nothing to ship
