"""What the compliance area audits and signs: plain-dict projections of its records."""

from __future__ import annotations

from evqms.compliance.models import RiskItem, RiskRegister
from evqms.compliance.snapshot.ids import attribute_id, parameter_ref


def risk_item_record(item: RiskItem) -> dict:
    """A risk as audited; its controls named as the evidence snapshot names them."""
    return {
        "code": item.code,
        "stage": item.stage,
        "hazard": item.hazard,
        "cause": item.cause,
        "effect": item.effect,
        "severity": item.severity,
        "occurrence": item.occurrence,
        "detectability": item.detectability,
        "rpn": item.rpn,
        "risk_class": item.risk_class,
        "controls": sorted(attribute_id(a) for a in item.control_attributes.all())
        + sorted(parameter_ref(p) for p in item.control_parameters.all()),
        "control_notes": item.control_notes,
        "residual_risk": item.residual_risk,
        "owner": item.owner.get_username() if item.owner_id else "",
        "status": item.status,
        "review_on": item.review_on,
    }


def risk_register_record(register: RiskRegister) -> dict:
    """A register version as audited and as its approval signs it, with every risk in it."""
    return {
        "product": register.product.code,
        "register": register.code,
        "version": register.version,
        "none_identified": dict(sorted((register.none_identified or {}).items())),
        "items": [risk_item_record(i) for i in register.items.order_by("id")],
    }
