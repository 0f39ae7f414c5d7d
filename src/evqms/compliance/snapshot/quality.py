"""The quality system's records behind the lots, for JSRM-2-R1 and 2-R2: the environmental
monitoring of the rooms on the days the lots' steps were done, the media fills of the operators of
their aseptic steps, the calibration history of the instruments their steps and QC results name,
and the CAPA linked to their deviations.

Each kind is read once for all the lots (a query or two, whatever their number), from what the lot
evidence already names (rooms, days, operators, instruments), so the snapshot's query count does
not grow with the lots."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import F, Q
from django.utils import timezone

from evqms.capa.models import Capa, CapaAction
from evqms.compliance.snapshot.ids import local_date_function
from evqms.environment.models import Sample
from evqms.equipment.models import CalibrationRecord, Instrument
from evqms.equipment.status import needs_calibration
from evqms.guidance import evidence as ev
from evqms.guidance.checks.records import MAX_STEP_DAYS
from evqms.training.models import MediaFillParticipant


def quality_records(lots: list[ev.Lot], processes: list[ev.ProcessDefinition], lot_ids) -> ev.QualityRecords:
    """`lots` the lot evidence already built; `lot_ids` the query of their ids."""
    return ev.QualityRecords(
        em_samples=em_samples(lots),
        media_fills=media_fills(lots, processes),
        instruments=instruments(lots),
        capas=capas(lot_ids),
    )


def _room_days(lots: list[ev.Lot]) -> set[tuple[str, dt.date]]:
    pairs = set()
    for lot in lots:
        for record in lot.step_records:
            first = record.started_on or lot.manufactured_on
            if not record.room or first is None:
                continue
            last = record.finished_on or first
            for i in range(min(max((last - first).days, 0), MAX_STEP_DAYS) + 1):
                pairs.add((record.room, first + dt.timedelta(days=i)))
    return pairs


def em_samples(lots: list[ev.Lot]) -> list[ev.EMSample]:
    """The samples of the rooms on the days a lot's step was done there (taken that day, or due that
    day and missed or not taken)."""
    pairs = _room_days(lots)
    if not pairs:
        return []
    rooms = sorted({room for room, _day in pairs})
    first, last = min(day for _r, day in pairs), max(day for _r, day in pairs)
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    local_date = local_date_function()
    out = []
    for row in (
        Sample.objects.filter(point__room__code__in=rooms)
        .filter(
            Q(sampled_at__gte=start, sampled_at__lt=end)
            | Q(sampled_at__isnull=True, due_on__range=(first, last))
        )
        .order_by("due_on", "number")
        .values(
            "number",
            "method",
            "due_on",
            "sampled_at",
            "status",
            "verdict",
            room=F("point__room__code"),
            point_code=F("point__code"),
            deviation_number=F("deviation__number"),
            deviation_state=F("deviation__status"),
        )
    ):
        sampled_on = local_date(row["sampled_at"])
        if (row["room"], sampled_on or row["due_on"]) not in pairs:
            continue
        out.append(
            ev.EMSample(
                id=row["number"],
                room=row["room"],
                point=row["point_code"],
                method=row["method"],
                due_on=row["due_on"],
                sampled_on=sampled_on,
                status=row["status"],
                verdict=row["verdict"],
                deviation=row["deviation_number"] or "",
                deviation_status=row["deviation_state"] or "",
            )
        )
    return out


def media_fills(lots: list[ev.Lot], processes: list[ev.ProcessDefinition]) -> list[ev.MediaFillResult]:
    """Every media fill of the operators who recorded an aseptic step of the lots."""
    aseptic = {p.version: {s.name for s in p.steps if s.aseptic} for p in processes}
    operators = {
        r.operator
        for lot in lots
        for r in lot.step_records
        if r.operator and r.step in aseptic.get(lot.process_version, ())
    }
    if not operators:
        return []
    return [
        ev.MediaFillResult(
            media_fill=row["number"],
            operator=row["username"],
            performed_on=row["performed_on"],
            result=row["result"],
            expires_on=row["expires_on"],
        )
        for row in MediaFillParticipant.objects.filter(operator__username__in=sorted(operators))
        .order_by("operator__username", "media_fill__performed_on", "media_fill__number")
        .values(
            "result",
            "expires_on",
            number=F("media_fill__number"),
            username=F("operator__username"),
            performed_on=F("media_fill__performed_on"),
        )
    ]


def instruments(lots: list[ev.Lot]) -> list[ev.Instrument]:
    """The register entries and calibration history of the instruments the lots name."""
    used = {i for lot in lots for r in lot.step_records for i in r.instruments}
    used |= {r.instrument for lot in lots for r in lot.qc_results if r.instrument}
    if not used:
        return []
    history = defaultdict(list)
    for identifier, performed_on, result, next_due in (
        CalibrationRecord.objects.filter(instrument__identifier__in=sorted(used))
        .order_by("instrument__identifier", "performed_on", "id")
        .values_list("instrument__identifier", "performed_on", "result", "next_due")
    ):
        history[identifier].append(
            ev.Calibration(performed_on=performed_on, result=result, next_due=next_due)
        )
    return [
        ev.Instrument(
            id=instrument.identifier,
            needs_calibration=needs_calibration(instrument),
            calibration_due=instrument.calibration_due if not history[instrument.identifier] else None,
            calibrations=history[instrument.identifier],
        )
        for instrument in Instrument.objects.filter(identifier__in=sorted(used))
        .only("identifier", "calibration_interval_days", "calibration_due")
        .order_by("identifier")
    ]


def capas(lot_ids) -> list[ev.Capa]:
    """The CAPA linked to a deviation naming one of the lots, with the date the next open part of
    each falls due (an open action's, else the effectiveness check's)."""
    links = defaultdict(set)
    rows = {}
    for row in (
        Capa.deviations.through.objects.filter(deviation__affected_lots__in=lot_ids)
        .values(
            "capa_id",
            deviation_number=F("deviation__number"),
            number=F("capa__number"),
            status=F("capa__status"),
            closed_at=F("capa__closed_at"),
            effectiveness=F("capa__effectiveness_result"),
            after_days=F("capa__effectiveness_after_days"),
        )
        .distinct()
    ):
        links[row["capa_id"]].add(row["deviation_number"])
        rows[row["capa_id"]] = row
    if not rows:
        return []
    actions = defaultdict(list)
    for capa_id, status, due_on, done_on in (
        CapaAction.objects.filter(capa__deviations__affected_lots__in=lot_ids)
        .distinct()
        .values_list("capa_id", "status", "due_on", "done_on")
    ):
        actions[capa_id].append((status, due_on, done_on))
    local_date = local_date_function()
    out = []
    for capa_id, row in rows.items():
        out.append(
            ev.Capa(
                id=row["number"],
                deviations=sorted(links[capa_id]),
                status=row["status"],
                due_on=_due_on(row, actions[capa_id]) if row["status"] == "open" else None,
                closed_on=local_date(row["closed_at"]),
            )
        )
    return sorted(out, key=lambda c: c.id)


def _due_on(row: dict, actions: list) -> dt.date | None:
    open_dates = [due for status, due, _done in actions if status != "done"]
    if open_dates:
        return min(open_dates)
    last_done = max((done for _s, _d, done in actions if done), default=None)
    if last_done is not None and not row["effectiveness"]:  # every action done: the check is next
        return last_done + dt.timedelta(days=row["after_days"])
    return None
