"""Controlled disposal of held stock: QA destroys units kept in-house on hold under a recall or a
hold, with a reason and a signature."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.core.db import lock_for_update
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import Aliquot
from evqms.inventory.services.holds import destroy_held_aliquot
from evqms.inventory.services.stock import lock_aliquots
from evqms.lots.models import LotHold
from evqms.trace.models import HeldUnitDestruction, Hold, Recall


def _source(source) -> Recall | Hold:
    """The recall or hold (object or number) whose held units are to be destroyed."""
    if isinstance(source, (Recall, Hold)):
        return source
    number = (source or "").strip()
    found = Recall.objects.filter(number=number).first() or Hold.objects.filter(number=number).first()
    if found is None:
        raise InputError(_("unknown recall or hold {number}").format(number=number), where="source")
    return found


def _held_units(found: Recall | Hold, codes: list[str], *, lock: bool) -> list[Aliquot]:
    """The named units, each in stock on hold under `found` (its lot held by it); else a refusal naming
    the unit. With `lock`, the rows are locked for the caller's transaction."""
    lots = {found.lot.number} if isinstance(found, Recall) else set(found.lots)
    queryset = Aliquot.objects.filter(container_id__in=codes)
    if lock:
        queryset = lock_aliquots(queryset)
    by_code = {a.container_id: a for a in queryset.select_related("lot", "location")}
    holding = set(
        LotHold.objects.filter(source=found.number, released_at__isnull=True).values_list(
            "lot__number", flat=True
        )
    )
    units = []
    for code in codes:
        aliquot = by_code.get(code)
        if aliquot is None:
            raise InputError(_("unknown aliquot {code}").format(code=code), where="aliquots")
        if aliquot.lot.number not in lots or aliquot.lot.number not in holding or aliquot.status != "on_hold":
            raise RuleViolation(
                _("aliquot {code} is not a unit in stock on hold under {source}").format(
                    code=code, source=found.number
                )
            )
        units.append(aliquot)
    return units


def destroy_held_units(
    *, request, actor, source: Recall | Hold | str, aliquots: list[str], reason: str, password: str
) -> list[HeldUnitDestruction]:
    """QA destroys units kept in-house on hold under a recall or a hold (controlled disposal), with a
    reason and a signature (meaning: approval). Each unit leaves stock as discarded and is listed on
    the recall's or hold's page as destroyed; the lot stays held. Nothing is destroyed if one unit is
    refused."""
    require(actor, "trace.destroy_held")
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("a reason is required to destroy held units"), where="reason")
    codes = list(dict.fromkeys(c.strip() for c in (aliquots or []) if c and c.strip()))
    if not codes:
        raise InputError(_("choose at least one unit to destroy"), where="aliquots")
    found = _source(source)
    if isinstance(found, Hold) and found.status != "active":
        raise RuleViolation(_("hold {number} is already lifted").format(number=found.number))
    _held_units(found, codes, lock=False)  # refuse before asking for the signature
    check_signing_password(request=request, signer=actor, password=password)
    kind = "recall" if isinstance(found, Recall) else "hold"
    with transaction.atomic():
        locked = lock_for_update(type(found).objects.filter(pk=found.pk)).get()
        if kind == "hold" and locked.status != "active":
            raise RuleViolation(_("hold {number} is already lifted").format(number=locked.number))
        units = _held_units(locked, codes, lock=True)
        record = {
            "action": "destroy held units",
            kind: locked.number,
            "units": [
                {
                    "aliquot": a.container_id,
                    "lot": a.lot.number,
                    "location": a.location.code if a.location_id else None,
                }
                for a in units
            ],
            "reason": reason,
        }
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type=kind,
            object_id=locked.pk,
            record=record,
            reason=reason,
        )
        done = []
        for aliquot, row in zip(units, record["units"], strict=True):
            destroy_held_aliquot(actor=actor, aliquot=aliquot, source=locked.number, reason=reason)
            done.append(
                HeldUnitDestruction.objects.create(
                    recall=locked if kind == "recall" else None,
                    hold=locked if kind == "hold" else None,
                    aliquot=aliquot,
                    location=row["location"] or "",
                    reason=reason,
                    destroyed_by=actor,
                    destroyed_at=signature.signed_at,
                    signature=signature,
                )
            )
        record_event(
            actor=actor,
            action=f"{kind}.destroy_units",
            object_type=kind,
            object_id=locked.pk,
            after={**record, "signature_id": signature.pk},
            reason=reason,
        )
    return done
