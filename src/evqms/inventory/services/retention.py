"""Retention samples: kept from a product lot (one of its aliquots) or a material lot until the
retention period ends, or the documented reason why a material lot has none."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.dossier.models import MaterialLot
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import Aliquot, RetentionPolicy, RetentionSample, StorageLocation
from evqms.inventory.records import retention_sample_record
from evqms.inventory.services.holds import refuse_if_held
from evqms.inventory.services.locations import check_space
from evqms.inventory.services.stock import change_aliquot, locked_aliquot
from evqms.lots.models import Lot

# One year after expiry unless a RetentionPolicy row or settings.EVQMS_RETENTION says otherwise.
DEFAULT_RETENTION = {"lot": (365, True), "material_lot": (365, True)}


def retention_period(subject: str) -> tuple[int, bool]:
    """(days, counted from expiry?) for 'lot' or 'material_lot': a RetentionPolicy row, else
    settings.EVQMS_RETENTION = {"lot": {"period_days": 730, "after_expiry": True}}, else one year after expiry."""
    policy = RetentionPolicy.objects.filter(subject=subject).first()
    if policy:
        return policy.period_days, policy.after_expiry
    configured = getattr(settings, "EVQMS_RETENTION", {}).get(subject)
    if configured:
        return int(configured["period_days"]), bool(configured.get("after_expiry", True))
    return DEFAULT_RETENTION[subject]


def retain_until(subject: str, *, taken_on: dt.date, expiry: dt.date | None) -> dt.date:
    days, after_expiry = retention_period(subject)
    start = expiry if (after_expiry and expiry) else taken_on
    return start + dt.timedelta(days=days)


def _retainable(aliquot: Aliquot | str, lot: Lot | None) -> Aliquot:
    """The aliquot locked and checked: of `lot` when one is given, not held, available."""
    aliquot = locked_aliquot(aliquot)
    if lot is not None and aliquot.lot_id != lot.pk:
        raise InputError(
            _("aliquot {code} is not from lot {lot}").format(code=aliquot.container_id, lot=lot.number),
            where="aliquot",
        )
    refuse_if_held(aliquot, "retain")
    if aliquot.status != "available":
        raise RuleViolation(
            _("aliquot {code} is {status}: it cannot become a retention sample").format(
                code=aliquot.container_id, status=aliquot.status
            )
        )
    return aliquot


@transaction.atomic
def record_retention_sample(
    *,
    actor,
    lot: Lot | None = None,
    material_lot: MaterialLot | None = None,
    aliquot: Aliquot | str | None = None,
    quantity: str = "",
    location: StorageLocation | None = None,
    taken_on: dt.date | None = None,
) -> RetentionSample:
    """Keep a sample of a product lot (an aliquot of it, which becomes 'retained') or of a material lot."""
    require(actor, "inventory.record_retention")
    taken_on = taken_on or timezone.localdate()
    if aliquot is not None:
        aliquot = _retainable(aliquot, lot)
        lot = aliquot.lot
    if (lot is None) == (material_lot is None):
        raise InputError(_("give either a product lot or a material lot"), where="lot")
    if location is not None and aliquot is None:
        location = check_space(location)
    elif location is not None and aliquot is not None and location.pk != aliquot.location_id:
        location = check_space(location, moving=aliquot)
    subject = "lot" if lot is not None else "material_lot"
    expiry = lot.expiry if lot is not None else material_lot.expiry
    sample = RetentionSample.objects.create(
        lot=lot,
        material_lot=material_lot,
        aliquot=aliquot,
        quantity=quantity,
        location=location or (aliquot.location if aliquot else None),
        taken_on=taken_on,
        retain_until=retain_until(subject, taken_on=taken_on, expiry=expiry),
        status="in_stock",
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    if aliquot is not None:
        change_aliquot(actor, aliquot, "aliquot.retain", status="retained", location=sample.location)
    record_event(
        actor=actor,
        action="retention.create",
        object_type="retention_sample",
        object_id=sample.pk,
        after=retention_sample_record(sample),
    )
    return sample


@transaction.atomic
def record_retention_not_kept(*, actor, material_lot: MaterialLot, reason: str) -> RetentionSample:
    """The documented reason why a biological material lot has no retention sample."""
    require(actor, "inventory.record_retention")
    if not (reason or "").strip():
        raise InputError(_("a reason is required"), where="reason")
    sample = RetentionSample.objects.create(
        material_lot=material_lot,
        status="not_kept",
        reason=reason.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="retention.not_kept",
        object_type="retention_sample",
        object_id=sample.pk,
        after=retention_sample_record(sample),
        reason=reason,
    )
    return sample
