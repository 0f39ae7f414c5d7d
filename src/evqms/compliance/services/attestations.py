"""Attestations: a named role's signed statement for a guidance item, citing the records it covers."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts import roles
from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.compliance.models import ATTESTATION_ROLES, Attestation
from evqms.compliance.services._common import check_choice
from evqms.compliance.snapshot import citable_records
from evqms.errors import InputError, PermissionDenied
from evqms.guidance import ruleset
from evqms.i18n import _


def attestation_roles_of(ruleset_ref: str, item_id: str) -> list[str]:
    """The roles whose attestation an item's checks ask for (none: the item needs no attestation)."""
    rs = ruleset.load(ruleset_ref)
    item = next((i for i in rs.items if i.id == item_id), None)
    if item is None:
        raise InputError(
            _("rule set {ruleset} has no item {item}").format(ruleset=rs.id, item=item_id), where="item"
        )
    return [c.params.get("role", "") for c in item.checks if c.name == "attestation"]


def _may_sign_as(actor, product, role: str) -> None:
    if role == "responsible_physician":
        if product.responsible_physician_id != actor.pk:
            raise PermissionDenied(_("only the product's responsible physician may sign this attestation"))
    elif role == "quality_manager":
        if not actor.groups.filter(name=roles.QA_REVIEWER).exists():
            raise PermissionDenied(_("the quality manager's attestation needs the QA reviewer role"))
    elif role == "manufacturing_manager":
        if not actor.groups.filter(name__in=(roles.OPERATOR, roles.QA_REVIEWER)).exists():
            raise PermissionDenied(_("the manufacturing manager's attestation needs the operator or QA role"))


def attest(
    *,
    request,
    actor,
    product,
    item_id: str,
    role: str,
    statement: str,
    cites: list[str],
    password: str,
    ruleset_id: str = "jsrm-2024",
) -> Attestation:
    require(actor, "compliance.attest")
    check_choice(role, ATTESTATION_ROLES, "role")
    if role not in attestation_roles_of(ruleset_id, item_id):
        raise InputError(
            _("item {item} asks for no attestation by the role {role}").format(item=item_id, role=role),
            where="role",
        )
    if not statement.strip():
        raise InputError(_("the statement is required"), where="statement")
    citable = set(citable_records(product))
    cites = sorted({c.strip() for c in cites if c.strip()})
    unknown = [c for c in cites if c not in citable]
    if unknown:
        raise InputError(
            _("cites an unknown record {ref} (use kind:id, e.g. risk_register:RR-1)").format(ref=unknown[0]),
            where="cites",
        )
    _may_sign_as(actor, product, role)
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        record = {
            "product": product.code,
            "item": item_id,
            "ruleset": ruleset_id,
            "role": role,
            "statement": statement.strip(),
            "cites": cites,
        }
        attestation = Attestation(
            product=product,
            item_id=item_id,
            ruleset_id=ruleset_id,
            role=role,
            signer=actor,
            statement=statement.strip(),
            cites=cites,
        )
        signature = write_signature(
            signer=actor,
            meaning="attestation",
            object_type="product",
            object_id=product.pk,
            record=record,
        )
        attestation.signature = signature
        attestation.signed_at = signature.signed_at
        attestation.save()
        record_event(
            actor=actor,
            action="attestation.create",
            object_type="attestation",
            object_id=attestation.pk,
            after={**record, "signature_id": signature.pk},
        )
    return attestation
