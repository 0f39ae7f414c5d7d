"""The clinical lists' columns (evqms.core.listing): administrations, patients, adverse events.
A patient code is shown, on the page and in the export, only to a role that may read it."""

from __future__ import annotations

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr, time_value


def _aliquots(row):
    return ", ".join(used.aliquot.container_id for used in row.used.all())


def _consents(row):
    out = []
    for consent in row.consents.all():
        day = consent.consented_on.isoformat() if consent.consented_on else ""
        out.append(f"{day} ({_('withdrawn')})" if consent.withdrawn_on else day)
    return ", ".join(out)


def _reads_patient_codes(user) -> bool:
    return bool(user and user.has_perm("clinical.view_patient_codes"))


ADMINISTRATIONS = Listing(
    "administrations",
    (
        Column("number", _("Number"), attr("number"), "number"),
        Column("administered_at", _("Administered at"), time_value("administered_at"), "administered_at"),
        Column("patient", _("Patient"), attr("patient.code"), "patient__code"),
        Column("aliquots", _("Aliquots"), _aliquots),
        Column("route", _("Route"), attr("get_route_display"), "route"),
        Column("dose", _("Dose (particles)"), attr("dose_particles"), "dose_particles"),
        Column("physician", _("Physician"), attr("physician.signature_name"), "physician__username"),
    ),
)

PATIENTS = Listing(
    "patients",
    (
        Column("code", _("Patient code"), attr("code"), "code"),
        Column("birth_year", _("Birth year"), attr("birth_year"), "birth_year"),
        Column("sex", _("Sex"), attr("get_sex_display"), "sex"),
        Column("consent", _("Consent date"), _consents),
        Column("hash", _("Keyed hash"), attr("identity_hash")),
    ),
)

ADVERSE_EVENTS = Listing(
    "adverse-events",
    (
        Column("number", _("Number"), attr("number"), "number"),
        Column("onset", _("Onset"), time_value("onset"), "onset"),
        Column("patient", _("Patient"), attr("patient.code"), "patient__code", show=_reads_patient_codes),
        Column(
            "administration", _("Administration"), attr("administration.number"), "administration__number"
        ),
        Column("grade", _("CTCAE grade"), attr("ctcae_grade"), "ctcae_grade"),
        Column("serious", _("Serious"), attr("serious"), "serious"),
        Column("outcome", _("Outcome"), attr("get_outcome_display"), "outcome"),
    ),
)


def _visit_state(row):
    labels = {
        "due": _("Due"),
        "overdue": _("Overdue"),
        "done": _("Done"),
        "missed": _("Missed"),
        "upcoming": _("Upcoming"),
    }
    return str(labels.get(row.state, row.state))


def _window(row):
    return f"{row.visit.window_start.isoformat()} – {row.visit.window_end.isoformat()}"


def _instrument_name(row):
    instrument = row.visit.instrument_use.instrument
    return instrument.name_ja if get_language() == "ja" else instrument.name_en


# The rows are `selectors.visits_due_for` rows (each visit with its state today), sorted in Python.
VISITS = Listing(
    "follow-up-visits",
    (
        Column("state", _("State"), _visit_state),
        Column("due_on", _("Visit due on"), attr("visit.due_on")),
        Column("window", _("Window"), _window),
        Column("administration", _("Administration"), attr("visit.administration.number")),
        Column("patient", _("Patient"), attr("visit.administration.patient.code")),
        Column("month", _("Month"), attr("visit.month")),
        Column("instrument", _("Outcome instrument"), _instrument_name),
        Column("missed_reason", _("Reason missed"), attr("visit.missed_reason")),
    ),
)


def _report_subject(row):
    report = row.report
    if report.adverse_event_id:
        return report.adverse_event.number
    start, end = (day.isoformat() if day else "" for day in (report.period_start, report.period_end))
    return f"{report.product.code} {start} – {end}"


def _clock(row):
    clock = row.clock
    if clock.state == "open":
        return gettext("Days left: %(n)s") % {"n": clock.days_left}
    if clock.state == "overdue":
        return gettext("Overdue: %(n)s days past due") % {"n": clock.days_overdue}
    if clock.state == "late":
        return gettext("Submitted late")
    return gettext("Submitted in time")


# The rows are `selectors.safety_reports` rows (each report with its clock today), sorted in Python.
SAFETY_REPORTS = Listing(
    "safety-reports",
    (
        Column("number", _("Report"), attr("report.number")),
        Column("kind", _("Kind"), attr("report.get_kind_display")),
        Column("adverse_event", _("Adverse event"), _report_subject),
        Column("patient", _("Patient"), attr("report.adverse_event.patient.code"), show=_reads_patient_codes),
        Column("clock_start", _("Clock starts"), attr("report.clock_start")),
        Column("due_on", _("Due on"), attr("report.due_on")),
        Column("state", _("State"), _clock),
        Column("submitted_on", _("Submitted on"), attr("report.submitted_on")),
    ),
)
