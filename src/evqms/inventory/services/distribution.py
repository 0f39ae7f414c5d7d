"""Distribution: the consignees product may be shipped to, and shipments of units to them."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.core.numbering import next_number
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import Aliquot, Consignee, Shipment, ShipmentItem
from evqms.inventory.records import consignee_record, shipment_record
from evqms.inventory.services.holds import refuse_if_held
from evqms.inventory.services.stock import leave_storage, locked_aliquot

CONSIGNEE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


def _required(value, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InputError(_("a value is required"), where=field)
    return value


@transaction.atomic
def create_consignee(
    *,
    actor,
    code: str,
    name: str,
    address: str,
    contact_name: str,
    site: str = "",
    contact_phone: str = "",
    contact_email: str = "",
) -> Consignee:
    """Register a consignee (clinic, pharmacy, distributor) that product may be shipped to."""
    require(actor, "inventory.manage_consignees")
    code = _required(code, "code")
    if not CONSIGNEE_CODE.fullmatch(code):
        raise InputError(
            _("use letters, digits, '-', '_' or '.' (at most 40), starting with a letter or digit"),
            where="code",
        )
    if Consignee.objects.filter(code__iexact=code).exists():
        raise InputError(_("consignee {code} already exists").format(code=code), where="code")
    consignee = Consignee.objects.create(
        code=code,
        name=_required(name, "name"),
        address=_required(address, "address"),
        site=(site or "").strip(),
        contact_name=_required(contact_name, "contact_name"),
        contact_phone=(contact_phone or "").strip(),
        contact_email=(contact_email or "").strip(),
        created_by=actor,
        created_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="consignee.create",
        object_type="consignee",
        object_id=consignee.pk,
        after=consignee_record(consignee),
    )
    return consignee


def _active_consignee(consignee: Consignee | str) -> Consignee:
    if isinstance(consignee, str):
        code = consignee.strip()
        consignee = Consignee.objects.filter(code=code).first() if code else None
        if consignee is None:
            if not code:
                raise InputError(_("choose a consignee"), where="consignee")
            raise InputError(_("unknown consignee {code}").format(code=code), where="consignee")
    if not consignee.active:
        raise RuleViolation(_("consignee {code} is no longer active").format(code=consignee.code))
    return consignee


def _shippable(aliquots: list[Aliquot | str]) -> list[Aliquot]:
    """Each unit locked, checked shippable (in stock, not held, of a released lot) and named once."""
    locked = []
    for item in aliquots:
        aliquot = locked_aliquot(item)
        refuse_if_held(aliquot, "ship")
        if aliquot.status not in ("available", "reserved"):
            raise RuleViolation(
                _("aliquot {code} is {status}: it cannot be shipped").format(
                    code=aliquot.container_id, status=aliquot.get_status_display()
                )
            )
        if aliquot.lot.status != "released":
            raise RuleViolation(
                _("lot {lot} is {status}: its aliquots cannot be shipped").format(
                    lot=aliquot.lot.number, status=aliquot.lot.get_status_display()
                )
            )
        if any(a.pk == aliquot.pk for a in locked):
            raise InputError(_("an aliquot is listed twice"), where="aliquots")
        locked.append(aliquot)
    return locked


@transaction.atomic
def ship_aliquots(
    *,
    actor,
    aliquots: list[Aliquot | str],
    consignee: Consignee | str,
    shipped_at: dt.datetime | None = None,
    reference: str = "",
) -> Shipment:
    """Ship units to a registered consignee: one distribution record (consignee, address and site as
    they are today, date, units, who shipped). Every unit must be available or reserved, of a
    released lot, and not held; otherwise nothing is shipped."""
    require(actor, "inventory.manage_stock")
    consignee = _active_consignee(consignee)
    if not aliquots:
        raise InputError(_("name at least one aliquot"), where="aliquots")
    shipped_at = shipped_at or timezone.now()
    if timezone.is_naive(shipped_at):
        raise InputError(_("give the time with its zone"), where="shipped_at")
    if shipped_at > timezone.now() + dt.timedelta(minutes=5):
        raise InputError(_("the shipping time is in the future"), where="shipped_at")
    locked = _shippable(aliquots)
    shipment = Shipment.objects.create(
        number=next_number(Shipment, "SH-", width=5),  # a locked counter: no two shipments share one
        consignee=consignee,
        ship_to_address=consignee.address,
        ship_to_site=consignee.site,
        contact_name=consignee.contact_name,
        shipped_at=shipped_at,
        shipped_by=actor,
        reference=(reference or "").strip(),
        recorded_at=timezone.now(),
    )
    for aliquot in locked:
        ShipmentItem.objects.create(shipment=shipment, aliquot=aliquot)
        leave_storage(actor, aliquot, "shipped", shipment.number, "aliquot.ship")
    record_event(
        actor=actor,
        action="shipment.create",
        object_type="shipment",
        object_id=shipment.pk,
        after=shipment_record(shipment, [a.container_id for a in locked]),
    )
    return shipment


def ship_aliquot(
    *,
    actor,
    aliquot: Aliquot | str,
    consignee: Consignee | str,
    shipped_at: dt.datetime | None = None,
    reference: str = "",
) -> Shipment:
    """One unit to one consignee (the aliquot page's Ship form)."""
    return ship_aliquots(
        actor=actor, aliquots=[aliquot], consignee=consignee, shipped_at=shipped_at, reference=reference
    )
