"""Evidence collection: baselines before administrations, follow-up visits closed within their
windows, serious adverse events reported by their due date, the product's evidence summary kept
current, and (JSRM-1-R2) the adverse events' reports and investigations on record.

Each finding cites the records that fail it: the administration, the visit, the event or report.
"""

from __future__ import annotations

import calendar
import datetime as dt

from evqms.guidance.checks.base import (
    MET,
    NOT_APPLICABLE,
    NOT_MET,
    PARTLY_MET,
    CheckContext,
    CheckResult,
    by_count,
    check,
    ref,
)
from evqms.guidance.evidence import EvidenceSnapshot, OutcomeInstrument
from evqms.guidance.text import bi


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (31 March - 1 month is 28/29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _active_on(instrument: OutcomeInstrument, day: dt.date | None) -> bool:
    if day is None:
        return False
    if instrument.active_from and day < instrument.active_from:
        return False
    return not (instrument.active_until and day > instrument.active_until)


@check("administrations_have_baseline")
def administrations_have_baseline(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    """Every administration made while an instrument that needs a baseline was in use has one for
    it. An instrument that rates change itself (PGIC) asks for none."""
    needing = [i for i in snap.outcome_instruments if i.baseline]
    if not needing:
        return CheckResult(NOT_APPLICABLE, [bi("No outcome instrument with a baseline is used.")])
    have = {(b.administration, b.instrument) for b in snap.baselines}
    expected = 0
    reasons, steps, evidence = [], [], []
    for adm in snap.administrations:
        wanted = [i.id for i in needing if _active_on(i, adm.administered_on)]
        if not wanted:
            continue
        expected += 1
        missing = [i for i in wanted if (adm.id, i) not in have]
        if missing:
            evidence.append(ref("administration", adm.id))
            reasons.append(
                bi(
                    "Administration {id} (patient {patient}) has no baseline for {instruments}.",
                    id=adm.id,
                    patient=adm.patient or "-",
                    instruments=", ".join(missing),
                )
            )
            steps.append(
                bi("Record why administration {id} has no baseline, or correct the record.", id=adm.id)
            )
    if not expected:
        return CheckResult(NOT_APPLICABLE, [bi("No administration while an instrument was in use.")])
    good = expected - len(evidence)
    reasons.insert(0, bi("{good} of {n} administrations have their baseline.", good=good, n=expected))
    return CheckResult(by_count(good, expected), reasons, evidence, steps)


@check("follow_ups_within_window")
def follow_ups_within_window(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    """A visit whose window has closed is done inside its window or recorded as missed with the
    reason; a visit still open or ahead is not yet expected. Completeness: done of expected."""
    expected = [v for v in snap.follow_up_visits if v.status != "scheduled" or v.window_end < ctx.as_of]
    if not expected:
        if snap.follow_up_visits:
            return CheckResult(
                NOT_APPLICABLE,
                [bi("No follow-up visit is due yet ({n} planned).", n=len(snap.follow_up_visits))],
            )
        return CheckResult(NOT_APPLICABLE, [bi("No follow-up visit is planned.")])
    done = [v for v in expected if v.status == "done"]
    missed = [v for v in expected if v.status == "missed"]
    reasons, steps, evidence = [], [], []
    failing = 0
    for v in expected:
        if v.status == "scheduled":
            failing += 1
            evidence.append(ref("administration", v.administration))
            reasons.append(
                bi(
                    "Visit {visit}: its window closed on {end} and nothing is recorded.",
                    visit=v.id,
                    end=v.window_end.isoformat(),
                )
            )
            steps.append(bi("Record the visit {visit} as done or as missed with the reason.", visit=v.id))
        elif v.status == "done" and v.evaluated_on and not v.window_start <= v.evaluated_on <= v.window_end:
            failing += 1
            evidence.append(ref("administration", v.administration))
            reasons.append(
                bi(
                    "Visit {visit} was evaluated on {day}, outside its window {start} – {end}.",
                    visit=v.id,
                    day=v.evaluated_on.isoformat(),
                    start=v.window_start.isoformat(),
                    end=v.window_end.isoformat(),
                )
            )
            steps.append(bi("Plan the next visits of {adm} inside their windows.", adm=v.administration))
    n = len(expected)
    reasons.insert(
        0,
        bi(
            "Completeness: {done}/{n} expected follow-ups done ({pct} %), {missed} recorded as missed with the reason.",
            done=len(done),
            n=n,
            pct=f"{100 * len(done) / n:.0f}",
            missed=len(missed),
        ),
    )
    return CheckResult(by_count(n - failing, n), reasons, list(dict.fromkeys(evidence)), steps)


@check("serious_events_reported_in_time")
def serious_events_reported_in_time(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    """Each serious adverse event's reports were submitted by their due dates; a report not yet
    submitted and not yet due is open, not late."""
    serious = [e for e in snap.adverse_events if e.serious]
    if not serious:
        return CheckResult(NOT_APPLICABLE, [bi("No serious adverse event is recorded.")])
    reports: dict[str, list] = {}
    for r in snap.safety_reports:
        reports.setdefault(r.adverse_event, []).append(r)
    reasons, steps, evidence = [], [], []
    counted = good = 0
    for event in serious:
        evidence.append(ref("adverse event", event.id))
        own = reports.get(event.id, [])
        if not own:
            counted += 1
            reasons.append(bi("Serious adverse event {id} has no safety report.", id=event.id))
            steps.append(bi("Open and submit the safety report of {id}.", id=event.id))
            continue
        for report in own:
            evidence.append(ref("safety report", report.id))
            due = report.due_on
            if report.submitted_on is None:
                if due is not None and due >= ctx.as_of:
                    reasons.append(
                        bi(
                            "Report {report} of {id} is open, due {due}.",
                            report=report.id,
                            id=event.id,
                            due=due,
                        )
                    )
                    continue
                counted += 1
                reasons.append(
                    bi(
                        "Report {report} of {id} was due {due} and is not submitted.",
                        report=report.id,
                        id=event.id,
                        due=due,
                    )
                )
                steps.append(bi("Submit report {report} now and record why it is late.", report=report.id))
            elif due is not None and report.submitted_on > due:
                counted += 1
                reasons.append(
                    bi(
                        "Report {report} of {id} was submitted {days} days late ({submitted}, due {due}).",
                        report=report.id,
                        id=event.id,
                        days=(report.submitted_on - due).days,
                        submitted=report.submitted_on,
                        due=due,
                    )
                )
                steps.append(
                    bi("Review why report {report} was late and how the clock is watched.", report=report.id)
                )
            else:
                counted += 1
                good += 1
    if not counted:
        return CheckResult(MET, reasons, evidence)
    reasons.insert(
        0, bi("{good} of {n} reports of serious events were submitted in time.", good=good, n=counted)
    )
    return CheckResult(by_count(good, counted), reasons, evidence, steps)


@check("evidence_summary_current")
def evidence_summary_current(snap: EvidenceSnapshot, ctx: CheckContext, months: int = 12) -> CheckResult:
    """The product's evidence summary (its yearly report) was issued within the last `months`."""
    if not snap.administrations:
        return CheckResult(NOT_APPLICABLE, [bi("No administration is recorded: nothing to summarise.")])
    since = months_before(ctx.as_of, months)
    latest = max(snap.evidence_reports, key=lambda r: r.issued_on, default=None)
    step = bi("Issue the product's yearly evidence report from its evidence page.")
    if latest is None:
        return CheckResult(NOT_MET, [bi("The product's evidence summary has never been issued.")], [], [step])
    evidence = [ref("evidence report", latest.id)]
    if latest.issued_on < since:
        return CheckResult(
            NOT_MET,
            [
                bi(
                    "The evidence summary was last issued on {day}, more than {months} months ago.",
                    day=latest.issued_on,
                    months=months,
                )
            ],
            evidence,
            [step],
        )
    return CheckResult(
        MET,
        [bi("Evidence summary {id} issued on {day}.", id=latest.id, day=latest.issued_on)],
        evidence,
    )


@check("adverse_events_investigated")
def adverse_events_investigated(snap: EvidenceSnapshot, ctx: CheckContext) -> CheckResult:
    """The adverse events are on record with their reports; each serious one has an investigation
    (a recorded conclusion or a test of a retained sample)."""
    if not snap.adverse_events:
        return CheckResult(NOT_APPLICABLE, [bi("No adverse event is recorded.")])
    evidence = [ref("adverse event", e.id) for e in snap.adverse_events]
    evidence += [ref("safety report", r.id) for r in snap.safety_reports]
    serious = [e for e in snap.adverse_events if e.serious]
    reasons, steps, good = [], [], 0
    for event in serious:
        if event.investigation.strip() or event.sample_tests:
            good += 1
        else:
            reasons.append(bi("Serious adverse event {id} has no investigation recorded.", id=event.id))
            steps.append(
                bi("Record the investigation of {id} (retained-sample tests, conclusion).", id=event.id)
            )
    investigated = sum(1 for e in snap.adverse_events if e.investigation.strip() or e.sample_tests)
    reasons.insert(
        0,
        bi(
            "{n} adverse events on record ({serious} serious), {done} with an investigation.",
            n=len(snap.adverse_events),
            serious=len(serious),
            done=investigated,
        ),
    )
    if not serious:
        return CheckResult(MET, reasons, evidence)
    status = by_count(good, len(serious))
    return CheckResult(PARTLY_MET if status == NOT_MET else status, reasons, evidence, steps)
