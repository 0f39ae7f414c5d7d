"""Reads for clinical records and the dashboard card."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import Max, Min, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from evqms.clinical.models import (
    AdministeredAliquot,
    Administration,
    AdverseEvent,
    Evaluation,
    EvidenceReport,
    FollowUpVisit,
    InstrumentUse,
    Patient,
    SafetyReport,
)
from evqms.clinical.services.outcomes import catalogue, uses_for
from evqms.clinical.services.safety import Clock, clock
from evqms.clinical.services.visits import visit_state
from evqms.core.db import counts
from evqms.core.tasks import Task
from evqms.dossier.models import Product
from evqms.i18n import _


def administration_list(*, search: str | None = None):
    qs = Administration.objects.select_related("patient", "physician").prefetch_related(
        Prefetch("used", queryset=AdministeredAliquot.objects.select_related("aliquot", "aliquot__lot"))
    )
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(patient__code__icontains=term)
            | Q(used__aliquot__container_id__icontains=term)
            | Q(used__aliquot__lot__number=term)
        ).distinct()
    return qs.order_by("-administered_at", "-id")


def get_administration(number: str) -> Administration | None:
    return administration_list().filter(number=number).first()


def adverse_event_list():
    return AdverseEvent.objects.select_related("patient", "administration").order_by("-onset", "-id")


def get_adverse_event(number: str) -> AdverseEvent | None:
    return (
        AdverseEvent.objects.select_related("patient", "administration", "reported_by")
        .prefetch_related("sample_tests__retention_sample", "follow_ups__recorded_by")
        .filter(number=number)
        .first()
    )


def patient_list():
    return Patient.objects.prefetch_related("consents").order_by("code")


def dashboard_card(user) -> dict | None:
    if not user.has_perm("clinical.view"):
        return None
    n = counts(
        administrations=Administration.objects.all(),
        open_serious=AdverseEvent.objects.filter(serious=True).exclude(outcome__in=("recovered", "fatal")),
        overdue=SafetyReport.objects.filter(submitted_on__isnull=True, due_on__lt=timezone.localdate()),
    )
    open_serious, overdue = n["open_serious"], n["overdue"]
    caption = _("administrations recorded")
    if overdue:
        caption = _("administrations; {n} safety reports overdue").format(n=overdue)
    elif open_serious:
        caption = _("administrations; {n} serious adverse events not recovered").format(n=open_serious)
    return {
        "title": _("Clinical"),
        "value": n["administrations"],
        "caption": caption,
        "url_name": "clinical:administration-list",
    }


# --- outcomes ----------------------------------------------------------------------------------


def instrument_uses():
    """Every product's instrument uses, active first."""
    return InstrumentUse.objects.select_related("product", "instrument", "enabled_by").order_by(
        "-active", "product__code", "instrument__code", "indication_code"
    )


def instruments_available() -> list:
    """The instrument definitions evqms can use (shipped and the site's), by code."""
    return sorted(catalogue().values(), key=lambda d: d.code)


def active_uses_for(adm: Administration):
    return uses_for(adm)


def evaluations_of(adm: Administration):
    return (
        Evaluation.objects.filter(administration=adm)
        .select_related("instrument", "recorded_by")
        .order_by("instrument__code", "evaluated_at", "id")
    )


@dataclass(frozen=True)
class VisitRow:
    visit: FollowUpVisit
    state: str  # upcoming, due, overdue, done, missed
    outside_window: bool  # done, but evaluated outside its window


def _visit_rows(qs, today: dt.date) -> list[VisitRow]:
    rows = []
    for v in qs:
        outside = False
        if v.evaluation_id:
            day = timezone.localtime(v.evaluation.evaluated_at).date()
            outside = not v.window_start <= day <= v.window_end
        rows.append(VisitRow(v, visit_state(v, today), outside))
    return rows


def _visits():
    return FollowUpVisit.objects.select_related(
        "administration__patient",
        "administration__physician",
        "instrument_use__instrument",
        "evaluation",
        "closed_by",
    )


def visits_of(adm: Administration, today: dt.date | None = None) -> list[VisitRow]:
    return _visit_rows(
        _visits().filter(administration=adm).order_by("due_on", "instrument_use__instrument__code"),
        today or timezone.localdate(),
    )


def get_visit(pk) -> FollowUpVisit | None:
    return _visits().filter(pk=pk).first()


def visits_due_for(user, *, today: dt.date | None = None, include_missed: bool = False) -> list[VisitRow]:
    """What a person has to do about follow-up visits: those due (window open) or overdue (window
    closed, neither evaluated nor recorded as missed), oldest first. A physician sees the visits of
    their own administrations; QA and auditors with clinical access see every one; anyone else none.
    With `include_missed` the visits recorded as missed are listed too (with their reason)."""
    if not user.has_perm("clinical.view"):
        return []
    today = today or timezone.localdate()
    statuses = ["scheduled", "missed"] if include_missed else ["scheduled"]
    qs = _visits().filter(status__in=statuses).filter(Q(status="missed") | Q(window_start__lte=today))
    if user.has_perm("clinical.record_evaluation"):
        qs = qs.filter(administration__physician=user)
    return _visit_rows(qs.order_by("window_end", "id"), today)


# --- safety reports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    report: SafetyReport
    clock: Clock


def _reports():
    return SafetyReport.objects.select_related(
        "adverse_event__patient",
        "adverse_event__administration",
        "product",
        "submission_recorded_by",
        "signature",
    )


def reports_of(ae: AdverseEvent, today: dt.date | None = None) -> list[ReportRow]:
    today = today or timezone.localdate()
    return [
        ReportRow(r, clock(r, today))
        for r in _reports().filter(adverse_event=ae).order_by("clock_start", "id")
    ]


def get_safety_report(number: str) -> SafetyReport | None:
    return _reports().filter(number=number).first()


def safety_reports(*, today: dt.date | None = None, only_open: bool = False) -> list[ReportRow]:
    """Every safety report with its clock: the ones still to submit first (soonest due first)."""
    today = today or timezone.localdate()
    qs = _reports()
    if only_open:
        qs = qs.filter(submitted_on__isnull=True)
    rows = [ReportRow(r, clock(r, today)) for r in qs.order_by("due_on", "id")[:1000]]
    return sorted(
        rows, key=lambda row: (row.report.submitted_on is not None, row.report.due_on, row.report.pk)
    )


def safety_reports_due_for(user, *, today: dt.date | None = None) -> list[ReportRow]:
    """The reports a physician has to submit (any not yet submitted; who submits is the clinic's
    choice), for a later work queue."""
    if not user.has_perm("clinical.record_safety_report"):
        return []
    return safety_reports(today=today, only_open=True)


def issued_evidence_reports(product):
    """The product's yearly evidence reports as issued, newest first."""
    return (
        EvidenceReport.objects.filter(product=product)
        .select_related("issued_by")
        .order_by("-issued_at", "-id")
    )


# --- work queue --------------------------------------------------------------------------------

EVIDENCE_REPORT_MONTHS = 12  # as the evidence-collection rule set's EVC-4 asks
EVIDENCE_REPORT_NOTICE_DAYS = 30


def evidence_report_tasks(user, today: dt.date | None = None) -> list:
    """'Issue the yearly evidence report of <product>' for whoever may issue it, from 30 days before
    it falls due: 12 months after it was last issued, or after the product's first administration
    when it never was."""
    if not user.has_perm("clinical.record_safety_report"):
        return []
    today = today or timezone.localdate()
    products = Product.objects.annotate(
        first_given=Min("lots__aliquots__used_in__administration__administered_at"),
        last_issued=Max("evidence_reports__issued_at"),
    ).filter(first_given__isnull=False)
    tasks = []
    for product in products.order_by("code"):
        since = timezone.localtime(product.last_issued or product.first_given).date()
        due = since + relativedelta(months=EVIDENCE_REPORT_MONTHS)
        if due > today + dt.timedelta(days=EVIDENCE_REPORT_NOTICE_DAYS):
            continue
        tasks.append(
            Task(
                kind="evidence.yearly_report",
                title=_("Issue the yearly evidence report of {product}").format(product=product.code),
                url=reverse("reports:evidence-yearly-page", args=[product.code, today.year - 1]) + "#issued",
                due=due,
                area=str(_("Clinical")),
            )
        )
    return tasks


# --- the work queue (core.tasks) -----------------------------------------------------------


def tasks_for(user) -> list[Task]:
    """Safety reports to submit (due and overdue, from their clocks) for those who sign submissions
    (clinical.record_safety_report), and follow-up visits whose window is open or has closed without
    an evaluation, for the physician of the administration (clinical.record_evaluation). Both pages
    ask clinical.view. Two queries whatever the number of reports and visits."""
    if not user.has_perm("clinical.view"):
        return []
    area = str(_("Clinical"))
    tasks: list[Task] = []
    if user.has_perm("clinical.record_safety_report"):
        for number, kind, due_on, ae_number, product_code in SafetyReport.objects.filter(
            submitted_on__isnull=True
        ).values_list("number", "kind", "due_on", "adverse_event__number", "product__code"):
            subject = ae_number or product_code or ""
            title = _("Submit the {kind} safety report {number} ({subject})").format(
                kind=_report_kind_labels().get(kind, kind), number=number, subject=subject
            )
            url = reverse("clinical:safety-report-detail", args=[number]) if _SLUG.fullmatch(number) else None
            if url:
                tasks.append(Task("safety.report", title, url, due_on, area))
    if user.has_perm("clinical.record_evaluation"):
        visits = (
            FollowUpVisit.objects.filter(status="scheduled", window_start__lte=timezone.localdate())
            .filter(administration__physician=user)
            .values_list("pk", "month", "window_end", "administration__number")
        )
        for pk, month, window_end, adm_number in visits:
            title = _("Follow-up visit at month {month} of administration {number}").format(
                month=month, number=adm_number
            )
            tasks.append(
                Task("visit.due", title, reverse("clinical:visit-detail", args=[pk]), window_end, area)
            )
    return tasks + evidence_report_tasks(user)


_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _report_kind_labels() -> dict[str, str]:  # read in the active language each time
    return {"initial": _("initial"), "follow_up": _("follow-up"), "periodic": _("periodic")}
