"""JSRM-2-R1 / JSRM-2-R2 from the quality system's records, for the released lots.

- `environment_within_limits`: every room-day of the lots' manufacturing (the rooms their step
  records name, from the day a step started to the day it finished) has its environmental
  monitoring: at least one sample taken there that day, no scheduled sample missed or left
  untaken, and every action-level result with its deviation closed.
- `aseptic_operators_qualified`: the operator of every aseptic step held a passed media fill on
  the step's day (their latest run on or before it, not yet lapsed).
- `instruments_calibrated`: every instrument a step or a QC result names was in calibration on
  the day of use (the last calibration on or before it passed and was not past its due date).
- `deviations_closed_capa_in_time`: the lots' deviations are closed, and each CAPA linked to them
  is closed or not past its due date.

A dossier file without `quality_records` is judged as before, from documents and the
attestation: these checks then do not apply and say so.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from evqms.guidance.checks.base import (
    MET,
    NOT_APPLICABLE,
    CheckContext,
    CheckResult,
    by_count,
    check,
    ref,
)
from evqms.guidance.evidence import EvidenceSnapshot, Instrument, Lot, StepRecord
from evqms.guidance.text import bi, label

# A step longer than this (a culture of weeks) is not walked day by day past it: its first days
# already show whether the room was monitored, and a wrong date in a file cannot make it slow.
MAX_STEP_DAYS = 62

RECORDS = {
    "environment": label("environmental monitoring", "環境モニタリング"),
    "media_fills": label("media fills", "培地充填試験"),
    "calibrations": label("instrument calibrations", "機器の校正"),
    "capa": label("CAPA", "是正予防措置"),
}


def _without_records(what: str) -> CheckResult:
    return CheckResult(
        NOT_APPLICABLE,
        [
            bi(
                "The evidence carries no quality records ({what}): this part is judged from the documents and the attestation.",
                what=RECORDS[what],
            )
        ],
    )


def _no_released_lot() -> CheckResult:
    return CheckResult(NOT_APPLICABLE, [bi("No released lot is recorded.")])


def _step_day(lot: Lot, record: StepRecord) -> dt.date | None:
    return record.started_on or lot.manufactured_on


def _step_days(lot: Lot, record: StepRecord) -> list[dt.date]:
    first = _step_day(lot, record)
    if first is None:
        return []
    last = record.finished_on or first
    span = min(max((last - first).days, 0), MAX_STEP_DAYS)
    return [first + dt.timedelta(days=i) for i in range(span + 1)]


# --- environmental monitoring -------------------------------------------------------------------


@check("environment_within_limits")
def environment_within_limits(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    records = snap.quality_records
    if records is None:
        return _without_records("environment")
    lots = snap.released_lots()
    if not lots:
        return _no_released_lot()
    by_room_day = defaultdict(list)
    for sample in records.em_samples:
        day = sample.sampled_on if sample.status == "taken" else sample.due_on
        if day is not None:
            by_room_day[sample.room, day].append(sample)
    reasons, steps, evidence = [], [], []
    good, room_days, samples_seen, handled = 0, set(), set(), set()
    for lot in lots:
        evidence.append(ref("lot", lot.id))
        pairs = sorted({(r.room, day) for r in lot.step_records if r.room for day in _step_days(lot, r)})
        if not pairs:
            reasons.append(
                bi(
                    "Lot {lot}: no step record names the room it was made in, so its environmental monitoring cannot be shown.",
                    lot=lot.id,
                )
            )
            steps.append(bi("Record the room of each step of lot {lot}.", lot=lot.id))
            continue
        problems = 0
        for room, day in pairs:
            room_days.add((room, day))
            samples = by_room_day.get((room, day), [])
            if not any(s.status == "taken" for s in samples):
                problems += 1
                reasons.append(
                    bi(
                        "Lot {lot}: no environmental monitoring result in room {room} on {day}.",
                        lot=lot.id,
                        room=room,
                        day=day.isoformat(),
                    )
                )
            for s in samples:
                samples_seen.add(s.id)
                if s.status != "taken":
                    problems += 1
                    evidence.append(ref("EM sample", s.id))
                    reasons.append(
                        bi(
                            "Lot {lot}: sample {sample} ({point}, room {room}) due on {day} was not taken.",
                            lot=lot.id,
                            sample=s.id,
                            point=s.point or "-",
                            room=room,
                            day=day.isoformat(),
                        )
                    )
                elif s.verdict == "action":
                    evidence.append(ref("EM sample", s.id))
                    if s.deviation:
                        evidence.append(ref("deviation", s.deviation))
                    if s.deviation and s.deviation_status == "closed":
                        handled.add(s.id)
                        continue
                    problems += 1
                    reasons.append(
                        bi(
                            "Lot {lot}: sample {sample} (room {room}, {day}) is at action level and its deviation {deviation} is not closed.",
                            lot=lot.id,
                            sample=s.id,
                            room=room,
                            day=day.isoformat(),
                            deviation=s.deviation or "-",
                        )
                    )
        if problems:
            steps.append(
                bi(
                    "Investigate the environmental monitoring of lot {lot} under a deviation and close it, or record the missing results.",
                    lot=lot.id,
                )
            )
        else:
            good += 1
    if good == len(lots):
        reasons.insert(
            0,
            bi(
                "Environmental monitoring covers the {days} room-days on which the {n} released lots were made ({samples} samples): every result within the action limits or its deviation closed ({handled} action-level).",
                days=len(room_days),
                n=len(lots),
                samples=len(samples_seen),
                handled=len(handled),
            ),
        )
    return CheckResult(by_count(good, len(lots)), reasons, evidence, steps)


# --- media fills --------------------------------------------------------------------------------


@check("aseptic_operators_qualified")
def aseptic_operators_qualified(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    records = snap.quality_records
    if records is None:
        return _without_records("media_fills")
    lots = snap.released_lots()
    if not lots:
        return _no_released_lot()
    aseptic = {p.version: {s.name for s in p.steps if s.aseptic} for p in snap.processes}
    fills = defaultdict(list)
    for fill in records.media_fills:
        fills[fill.operator].append(fill)
    for runs in fills.values():
        runs.sort(key=lambda f: (f.performed_on, f.media_fill))
    reasons, steps, evidence, good, total = [], [], [], 0, 0
    for lot in lots:
        done = [r for r in lot.step_records if r.step in aseptic.get(lot.process_version, ())]
        if not done:
            continue
        total += 1
        evidence.append(ref("lot", lot.id))
        problems = 0
        for record in done:
            day = _step_day(lot, record)
            why, fill = _qualification(fills.get(record.operator, []), day)
            if fill is not None:
                evidence.append(ref("media fill", fill.media_fill))
            if why is None:
                continue
            problems += 1
            reasons.append(
                bi(
                    "Lot {lot}: aseptic step {step} on {day} by {operator}: {why}.",
                    lot=lot.id,
                    step=record.step,
                    day=day.isoformat() if day else "-",
                    operator=record.operator or "-",
                    why=why,
                )
            )
        if problems:
            steps.append(
                bi(
                    "Assess lot {lot} under a deviation: its aseptic steps were recorded by an operator without a current media fill.",
                    lot=lot.id,
                )
            )
        else:
            good += 1
    if not total:
        return CheckResult(NOT_APPLICABLE, [bi("No aseptic step is recorded for the released lots.")])
    if good == total:
        reasons.insert(
            0,
            bi(
                "Every aseptic step of the {n} released lots was recorded by an operator with a current media fill.",
                n=total,
            ),
        )
    return CheckResult(by_count(good, total), reasons, evidence, steps)


def _qualification(runs, day: dt.date | None):
    """(why not qualified or None, the media fill that decides) on `day`."""
    if day is None:
        return bi("the step's day is not recorded"), None
    latest = None
    for run in runs:
        if run.performed_on <= day:
            latest = run
    if latest is None:
        return bi("no media fill on record"), None
    if latest.result != "pass":
        return bi("media fill {fill} failed", fill=latest.media_fill), latest
    if latest.expires_on is not None and latest.expires_on <= day:
        return (
            bi(
                "media fill {fill} lapsed on {date}",
                fill=latest.media_fill,
                date=latest.expires_on.isoformat(),
            ),
            latest,
        )
    return None, latest


# --- calibrations -------------------------------------------------------------------------------


@check("instruments_calibrated")
def instruments_calibrated(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    records = snap.quality_records
    if records is None:
        return _without_records("calibrations")
    lots = snap.released_lots()
    if not lots:
        return _no_released_lot()
    register = {i.id: i for i in records.instruments}
    reasons, steps, evidence, good, total = [], [], [], 0, 0
    for lot in lots:
        uses = [(i, _step_day(lot, r)) for r in lot.step_records for i in r.instruments]
        uses += [(r.instrument, r.tested_on) for r in lot.qc_results if r.instrument]
        if not uses:
            continue
        total += 1
        evidence.append(ref("lot", lot.id))
        problems = 0
        for identifier, day in sorted(set(uses), key=lambda u: (u[0], u[1] or dt.date.min)):
            why, calibration = _calibration(register.get(identifier), day)
            if calibration is not None:
                evidence.append(ref("calibration", f"{identifier} {calibration.performed_on.isoformat()}"))
            else:
                evidence.append(ref("instrument", identifier))
            if why is None:
                continue
            problems += 1
            reasons.append(
                bi(
                    "Lot {lot}: instrument {instrument} used on {day}: {why}.",
                    lot=lot.id,
                    instrument=identifier,
                    day=day.isoformat() if day else "-",
                    why=why,
                )
            )
        if problems:
            steps.append(
                bi(
                    "Assess lot {lot} under a deviation: an instrument was used outside its calibration.",
                    lot=lot.id,
                )
            )
        else:
            good += 1
    if not total:
        return CheckResult(
            NOT_APPLICABLE, [bi("No step record or QC result of the released lots names its instrument.")]
        )
    if good == total:
        reasons.insert(
            0,
            bi(
                "Every instrument used on the {n} released lots was in calibration on the day of use.",
                n=total,
            ),
        )
    return CheckResult(by_count(good, total), reasons, evidence, steps)


def _calibration(instrument: Instrument | None, day: dt.date | None):
    """(why out of calibration or None, the calibration that decides) on `day`; as the equipment
    register decides at the moment of use."""
    if instrument is None:
        return bi("not in the instrument register"), None
    if not instrument.needs_calibration:
        return None, None
    if day is None:
        return bi("the day of use is not recorded"), None
    last = None
    for calibration in sorted(instrument.calibrations, key=lambda c: c.performed_on):
        if calibration.performed_on <= day:
            last = calibration
    if last is None:
        due = instrument.calibration_due
        if due is not None and due >= day:
            return None, None
        return bi("no calibration on record"), None
    if last.result != "pass":
        return bi("its calibration on {date} failed", date=last.performed_on.isoformat()), last
    if last.next_due is not None and last.next_due < day:
        return bi("past its calibration due date {date}", date=last.next_due.isoformat()), last
    return None, last


# --- deviations and CAPA ------------------------------------------------------------------------


@check("deviations_closed_capa_in_time")
def deviations_closed_capa_in_time(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    records = snap.quality_records
    if records is None:
        return _without_records("capa")
    lots = snap.released_lots()
    if not lots:
        return _no_released_lot()
    released = {lot.id for lot in lots}
    deviations: dict[str, list] = {}
    for d in snap.deviations:
        if d.lot in released:
            deviations.setdefault(d.id, []).append(d)
    if not deviations:
        return CheckResult(MET, [bi("No deviation names a released lot.")])
    capas = defaultdict(list)
    for capa in records.capas:
        for number in capa.deviations:
            capas[number].append(capa)
    reasons, steps, evidence, good = [], [], [], 0
    for number, entries in sorted(deviations.items()):
        deviation = entries[0]
        lot_ids = ", ".join(sorted({d.lot for d in entries}))
        evidence.append(ref("deviation", number))
        problems = 0
        if deviation.status != "closed":
            problems += 1
            reasons.append(
                bi(
                    "Deviation {deviation} (lot {lot}) is open since {day}.",
                    deviation=number,
                    lot=lot_ids,
                    day=deviation.opened_on.isoformat() if deviation.opened_on else "-",
                )
            )
            steps.append(bi("Investigate and close deviation {deviation}.", deviation=number))
        for capa in sorted(capas.get(number, []), key=lambda c: c.id):
            evidence.append(ref("CAPA", capa.id))
            if capa.status == "closed" or capa.due_on is None or capa.due_on >= ctx.as_of:
                continue
            problems += 1
            reasons.append(
                bi(
                    "CAPA {capa} of deviation {deviation} is overdue: due on {day}.",
                    capa=capa.id,
                    deviation=number,
                    day=capa.due_on.isoformat(),
                )
            )
            steps.append(bi("Complete CAPA {capa} or record why its date moves.", capa=capa.id))
        if not problems:
            good += 1
    if good == len(deviations):
        reasons.insert(
            0,
            bi(
                "The {n} deviations of the released lots are closed and their CAPA closed or within their due dates.",
                n=len(deviations),
            ),
        )
    return CheckResult(by_count(good, len(deviations)), reasons, evidence, steps)
