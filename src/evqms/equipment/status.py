"""Whether an instrument may be used: the one answer the register, the step records and the QC
results share.

The state of an instrument is "out of service" (stored: taken out by a person, or by a failed
calibration), else "calibration overdue" (derived: a date passes without anyone writing), else
"in service". A record that names an instrument is judged on the day the work was done, from the
calibration history: a result entered today for a test run last week, when the instrument was in
calibration, is accepted even though its calibration has lapsed since; a test run on a day past
the due date is not, even if the instrument has been calibrated again since.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from evqms.core.timefmt import local_date
from evqms.equipment.models import CalibrationRecord, Instrument, Room
from evqms.errors import RuleViolation
from evqms.i18n import _

IN_SERVICE, CALIBRATION_OVERDUE, OUT_OF_SERVICE = "in_service", "calibration_overdue", "out_of_service"


def state_labels() -> dict[str, str]:
    return {
        IN_SERVICE: _("In service"),
        CALIBRATION_OVERDUE: _("Calibration overdue"),
        OUT_OF_SERVICE: _("Out of service"),
    }


class InstrumentRefused(RuleViolation):
    """An instrument (or room) named on a record may not be used; `where` names the entry's field,
    so a form or an import points at it."""

    def __init__(self, message: str, *, where: str = "instrument"):
        super().__init__(message)
        self.where = where


def needs_calibration(instrument: Instrument) -> bool:
    return instrument.calibration_interval_days is not None or instrument.calibration_due is not None


def state(instrument: Instrument, today: dt.date) -> str:
    """The register's state today, from the stored due date (one query for the whole register)."""
    if instrument.service_state == OUT_OF_SERVICE:
        return OUT_OF_SERVICE
    if needs_calibration(instrument) and (
        instrument.calibration_due is None or instrument.calibration_due < today
    ):
        return CALIBRATION_OVERDUE
    return IN_SERVICE


@dataclass(frozen=True)
class Lapse:
    """An instrument that was past its calibration on the day of use, and the due date it missed
    (None: never calibrated, or its last calibration failed)."""

    instrument: Instrument
    due: dt.date | None
    failed_on: dt.date | None = None

    def text(self) -> str:
        name = self.instrument.identifier
        if self.failed_on is not None:
            return _("instrument {instrument} failed its calibration on {date}").format(
                instrument=name, date=self.failed_on.isoformat()
            )
        if self.due is None:
            return _("instrument {instrument} has no calibration on record").format(instrument=name)
        return _("instrument {instrument} is past its calibration due date {date}").format(
            instrument=name, date=self.due.isoformat()
        )


def calibration_lapse(instrument: Instrument, day: dt.date) -> Lapse | None:
    """The lapse of `instrument` on `day`, or None when it was in calibration (or needs none)."""
    if not needs_calibration(instrument):
        return None
    last = (
        CalibrationRecord.objects.filter(instrument=instrument, performed_on__lte=day)
        .order_by("-performed_on", "-id")
        .first()
    )
    if last is None:  # only the due date given when the instrument was registered
        due = instrument.calibration_due
        return None if due is not None and due >= day else Lapse(instrument, due)
    if last.result == "fail":
        return Lapse(instrument, None, failed_on=last.performed_on)
    if last.next_due is not None and last.next_due < day:
        return Lapse(instrument, last.next_due)
    return None


def check_use(instruments, *, used_at, room: Room | None = None) -> list[Lapse]:
    """Refuse an inactive room, an instrument out of service, or one past its calibration whose
    policy is "refuse" (InstrumentRefused naming it and its due date); return the lapses QA has
    chosen to accept with a deviation (policy "deviation"), for the caller to open one.
    `used_at` is when the work was done (a datetime, read in the facility's zone, or a date)."""
    if room is not None and not room.active:
        raise InstrumentRefused(_("room {room} is not in use").format(room=room.code), where="room")
    day = local_date(used_at) if isinstance(used_at, dt.datetime) else used_at
    accepted = []
    for instrument in instruments:
        if instrument.service_state == OUT_OF_SERVICE:
            reason = instrument.service_reason or "—"
            raise InstrumentRefused(
                _("instrument {instrument} is out of service ({reason}): it cannot be used").format(
                    instrument=instrument.identifier, reason=reason
                )
            )
        lapse = calibration_lapse(instrument, day)
        if lapse is None:
            continue
        if instrument.overdue_policy != "deviation":
            raise InstrumentRefused(_("{lapse}: it cannot be used").format(lapse=lapse.text()))
        accepted.append(lapse)
    return accepted
