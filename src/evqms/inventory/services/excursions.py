"""Temperature excursions on a storage unit: the deviation they open, the aliquots they put on hold,
and QA's assessment of each held aliquot.

A storage location linked to a temperature-controlled unit of the equipment register (a -80 °C
freezer) is that unit, with everything below it (racks, boxes, positions). An excursion recorded
there opens a deviation (source "storage") naming the lots of every aliquot stored in the unit at
any moment of the excursion (from the aliquots' moves, so a unit taken out meanwhile is named too),
and puts those still in use on hold under the deviation's number, the same held state a recall or
a QA hold uses: every stock action refuses them, naming the aliquot and the deviation, until QA
assesses each one with a signature (back to use, or discarded).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, write_signature
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _
from evqms.inventory.models import HOLDABLE, Aliquot, AliquotMove, StorageLocation, TemperatureExcursion
from evqms.inventory.records import aliquot_record
from evqms.inventory.selectors import location_descendant_ids, unit_location
from evqms.inventory.services.stock import change_aliquot, leave_storage, lock_aliquots, locked_aliquot
from evqms.lots.holds import active_holds
from evqms.lots.services.deviations import new_quality_deviation

DECISIONS = ("release", "discard")


def storage_unit_of(location: StorageLocation | None):
    """(the location linked to a storage unit at or above `location`, the unit), or (None, None)."""
    return unit_location(location)


def aliquots_stored_during(location: StorageLocation, start: dt.datetime, end: dt.datetime) -> list[Aliquot]:
    """The aliquots that were in `location` or below it at any moment from `start` to `end`, read
    from each aliquot's moves (its first location is where it was created; each move changes it)."""
    inside = set(location_descendant_ids(location))
    moved = AliquotMove.objects.filter(from_location_id__in=inside) | AliquotMove.objects.filter(
        to_location_id__in=inside
    )
    candidate_ids = set(Aliquot.objects.filter(location_id__in=inside).values_list("pk", flat=True))
    candidate_ids |= set(moved.values_list("aliquot_id", flat=True))
    moves: dict[int, list[AliquotMove]] = {}
    for move in AliquotMove.objects.filter(aliquot_id__in=candidate_ids).order_by("moved_at", "id"):
        moves.setdefault(move.aliquot_id, []).append(move)
    found = []
    for aliquot in (
        Aliquot.objects.filter(pk__in=candidate_ids).select_related("lot").order_by("container_id")
    ):
        history = moves.get(aliquot.pk, [])
        where = history[0].from_location_id if history else aliquot.location_id
        since = aliquot.created_at
        stays = []
        for move in history:
            stays.append((where, since, move.moved_at))
            where, since = move.to_location_id, move.moved_at
        stays.append((where, since, None))
        if any(
            place in inside and begin <= end and (until is None or until >= start)
            for place, begin, until in stays
        ):
            found.append(aliquot)
    return found


def open_storage_deviation(
    *, actor, excursion: TemperatureExcursion, location: StorageLocation, unit
) -> list[Aliquot]:
    """Inside the excursion's transaction: the deviation naming the lots stored in the unit during
    the excursion, and those aliquots still in use put on hold under its number."""
    end = excursion.ended_at or timezone.now()
    stored = aliquots_stored_during(location, excursion.started_at, end)
    lots = {a.lot_id: a.lot for a in stored}
    allowed = "–".join("" if v is None else str(v) for v in (unit.min_temperature_c, unit.max_temperature_c))
    deviation = new_quality_deviation(
        actor=actor,
        source="storage",
        lots=sorted(lots.values(), key=lambda lot: lot.number),
        occurred_at=excursion.started_at,
        equipment=unit.identifier,
        description=_(
            "temperature excursion on storage unit {unit} ({location}): {extreme} °C, allowed {allowed} °C; "
            "{description}; aliquots stored there during the excursion: {aliquots}"
        ).format(
            unit=unit.identifier,
            location=location.code,
            extreme=excursion.extreme_temperature_c,
            allowed=allowed,
            description=excursion.description,
            aliquots=", ".join(a.container_id for a in stored) or "—",
        ),
    )
    excursion.deviation = deviation
    excursion.save(update_fields=["deviation"])
    held = []
    to_hold = [a.pk for a in stored if a.status in HOLDABLE]
    for aliquot in lock_aliquots(Aliquot.objects.filter(pk__in=to_hold, status__in=HOLDABLE)).select_related(
        "lot", "location"
    ):
        held.append(
            change_aliquot(
                actor,
                aliquot,
                "aliquot.hold",
                _("temperature excursion on {unit}: {deviation}").format(
                    unit=unit.identifier, deviation=deviation.number
                ),
                held_status=aliquot.status,
                status="on_hold",
                hold_ref=deviation.number,
            )
        )
    return held


def excursion_holding(aliquot: Aliquot) -> TemperatureExcursion | None:
    """The storage excursion whose deviation holds `aliquot`, or None."""
    if aliquot.status != "on_hold" or not aliquot.hold_ref:
        return None
    return (
        TemperatureExcursion.objects.filter(deviation__number=aliquot.hold_ref)
        .select_related("deviation", "location", "storage_unit")
        .first()
    )


def assess_held_aliquot(
    *, request, actor, aliquot: Aliquot | str, decision: str, reason: str, password: str
) -> Aliquot:
    """QA's assessment of an aliquot held by a storage excursion, signed with the password: back to
    the use it had ("release"; it stays held if a recall or hold holds its lot), or discarded."""
    require(actor, "inventory.assess_excursion")
    if decision not in DECISIONS:
        raise InputError(_("choose release or discard"), where="decision")
    reason = (reason or "").strip()
    if not reason:
        raise InputError(_("give the assessment that supports the decision"), where="reason")
    key = {"container_id": aliquot} if isinstance(aliquot, str) else {"pk": aliquot.pk}
    found = Aliquot.objects.filter(**key).select_related("lot").first()  # as stored, not as the caller saw it
    if found is None:
        raise InputError(
            _("unknown aliquot {code}").format(code=key.get("container_id", "")), where="aliquot"
        )
    excursion = excursion_holding(found)
    if excursion is None:
        raise RuleViolation(
            _("aliquot {code} is not on hold under a storage excursion's deviation").format(
                code=found.container_id
            )
        )
    # The password is checked before the transaction: a wrong one is a failed login that must stay recorded.
    check_signing_password(request=request, signer=actor, password=password)
    with transaction.atomic():
        locked = locked_aliquot(found)
        number = excursion.deviation.number
        if locked.status != "on_hold" or locked.hold_ref != number:
            raise RuleViolation(
                _("aliquot {code} is no longer on hold under deviation {deviation}").format(
                    code=locked.container_id, deviation=number
                )
            )
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type="aliquot",
            object_id=locked.pk,
            record={
                **aliquot_record(locked),
                "deviation": number,
                "decision": decision,
                "assessment": reason,
            },
            reason=reason,
        )
        why = _("assessed under {deviation}: {reason}").format(deviation=number, reason=reason)
        if decision == "discard":
            return leave_storage(
                actor, locked, "discarded", why, "aliquot.excursion_discard", hold_ref="", held_status=""
            )
        lot_holds = active_holds(locked.lot_id)
        if lot_holds:  # a recall or QA hold on its lot still holds it
            fields = {"hold_ref": lot_holds[0].source}
        else:
            back = locked.held_status if locked.held_status in HOLDABLE else "available"
            fields = {"status": back, "hold_ref": "", "held_status": ""}
        changed = change_aliquot(actor, locked, "aliquot.excursion_release", why, **fields)
        changed.signature_id = signature.pk
        return changed
