"""Plain-dict records of inventory rows: the before/after of their audit events."""

from __future__ import annotations

from evqms.inventory.models import Aliquot, Consignee, RetentionSample, Shipment


def aliquot_record(aliquot: Aliquot) -> dict:
    return {
        "container_id": aliquot.container_id,
        "lot": aliquot.lot.number if aliquot.lot_id else None,
        "volume_ml": str(aliquot.volume_ml),
        "particle_count": str(aliquot.particle_count) if aliquot.particle_count is not None else None,
        "protein_ug": str(aliquot.protein_ug) if aliquot.protein_ug is not None else None,
        "status": aliquot.status,
        "location": aliquot.location.code if aliquot.location_id else None,
        "reason": aliquot.reason,
        "hold": aliquot.hold_ref or None,
    }


def consignee_record(consignee: Consignee) -> dict:
    return {
        "code": consignee.code,
        "name": consignee.name,
        "address": consignee.address,
        "site": consignee.site,
        "contact_name": consignee.contact_name,
        "contact_phone": consignee.contact_phone,
        "contact_email": consignee.contact_email,
        "active": consignee.active,
    }


def shipment_record(shipment: Shipment, containers: list[str]) -> dict:
    """`containers`: the shipped units' container ids, as the shipment lists them."""
    return {
        "number": shipment.number,
        "consignee": shipment.consignee.code,
        "address": shipment.ship_to_address,
        "site": shipment.ship_to_site,
        "contact_name": shipment.contact_name,
        "shipped_at": shipment.shipped_at.isoformat(),
        "reference": shipment.reference,
        "aliquots": containers,
    }


def retention_sample_record(sample: RetentionSample) -> dict:
    return {
        "lot": sample.lot.number if sample.lot_id else None,
        "material_lot": sample.material_lot.lot_number if sample.material_lot_id else None,
        "aliquot": sample.aliquot.container_id if sample.aliquot_id else None,
        "quantity": sample.quantity,
        "location": sample.location.code if sample.location_id else None,
        "taken_on": sample.taken_on.isoformat() if sample.taken_on else None,
        "retain_until": sample.retain_until.isoformat() if sample.retain_until else None,
        "status": sample.status,
        "reason": sample.reason,
    }
