"""The lot area's work queue (core.tasks): QC results to verify, lots awaiting QA's decision, open
deviations to close. Each is offered exactly when the service would let this person do it: the
permission its service requires, and the separation of duties it enforces (no one verifies their own
result; no one disposes of a lot they made, tested or verified). A constant number of queries
whatever the number of lots."""

from __future__ import annotations

from django.db.models import Count, Exists, Max, Min, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from evqms.core import identifiers
from evqms.core.tasks import Task, due_after
from evqms.i18n import _
from evqms.lots.models import Deviation, Lot, MaterialUsage, MethodSuitability, QCResult, StepRecord

QC_OPEN_STATUSES = ("qc", "quarantine")  # as services.qc: results are verified only then


def lot_url(number: str, anchor: str = "") -> str | None:
    """The lot page (at `anchor`), or None for a stored number no URL can carry."""
    if not identifiers.is_valid("lot", number):
        return None
    try:
        return reverse("lots:lot-detail", args=[number]) + (f"#{anchor}" if anchor else "")
    except NoReverseMatch:
        return None


def tasks_for(user) -> list[Task]:
    if not user.has_perm("lots.view"):
        return []
    tasks: list[Task] = []
    area = str(_("Lots"))
    if user.has_perm("lots.verify_qc_result"):
        tasks += _to_verify(user, area)
    if user.has_perm("lots.release_lot"):
        tasks += _to_release(user, area)
    if user.has_perm("lots.close_deviation"):
        tasks += _to_close(area)
    if user.has_perm("lots.approve_method_suitability"):
        tasks += _suitability_to_approve(user, area)
    return tasks


def _suitability_to_approve(user, area: str) -> list[Task]:
    """Method suitability records awaiting QA, but not those this person performed or recorded
    (services.microbiology.approval_prohibited)."""
    rows = (
        MethodSuitability.objects.filter(status="pending")
        .exclude(analyst=user)
        .exclude(recorded_by=user)
        .values_list("number", "product__code", "recorded_at")
    )
    out = []
    for number, product, recorded_at in rows:
        try:
            url = reverse("lots:suitability-detail", args=[number]) + "#approve"
        except NoReverseMatch:
            continue
        title = _("Approve method suitability {number} ({product})").format(number=number, product=product)
        out.append(
            Task("suitability.approve", title, url, due_after(recorded_at, "suitability.approve"), area)
        )
    return out


def _to_verify(user, area: str) -> list[Task]:
    rows = (
        # The open lots as a list first: joined by lot status, SQLite walked every lot to group by
        # its number (1.7 ms at 10,000 lots, on every dashboard; 0.1 ms this way).
        QCResult.objects.filter(
            status="valid",
            verified_by__isnull=True,
            lot__in=Lot.objects.filter(status__in=QC_OPEN_STATUSES).values("pk"),
        )
        .exclude(analyst=user)  # no one verifies their own result
        .values("lot__number")
        .annotate(n=Count("id"), first=Min("recorded_at"))
        .order_by("first")
    )
    out = []
    for row in rows:
        # The lot's results to verify, to select and sign once (lots.views.qc_bulk).
        url = lot_url(row["lot__number"]) and (
            reverse("lots:qc-verify-select") + "?" + urlencode({"lot": row["lot__number"]})
        )
        if url:
            title = _("Verify the QC results of lot {lot} ({n} to verify)").format(
                n=row["n"], lot=row["lot__number"]
            )
            out.append(Task("qc.verify", title, url, due_after(row["first"], "qc.verify"), area))
    return out


def _to_release(user, area: str) -> list[Task]:
    # lots.services.release.prohibited_signers, as one query: who made, worked on, tested or verified
    # the lot may not sign its disposition.
    lot = OuterRef("pk")
    worked = StepRecord.objects.filter(lot=lot, operator=user)
    used = MaterialUsage.objects.filter(lot=lot, recorded_by=user)
    tested = QCResult.objects.filter(lot=lot, analyst=user)
    verified = QCResult.objects.filter(lot=lot, verified_by=user)
    rows = (
        Lot.objects.filter(status="quarantine")
        .exclude(created_by=user)
        .exclude(Exists(worked))
        .exclude(Exists(used))
        .exclude(Exists(tested))
        .exclude(Exists(verified))
        .annotate(last_result=Max("qc_results__recorded_at"))
        .values_list("number", "last_result", "manufactured_on")
    )
    out = []
    for number, last_result, made in rows:
        url = lot_url(number, "release-gate")
        if url:
            title = _("Release or reject lot {lot}").format(lot=number)
            out.append(Task("lot.release", title, url, due_after(last_result or made, "lot.release"), area))
    return out


def _to_close(area: str) -> list[Task]:
    rows = Deviation.objects.filter(status="open").values_list("number", "lot__number", "opened_at")
    out = []
    for number, lot_number, opened_at in rows:
        url = lot_url(lot_number, "deviations")
        if url:
            title = _("Investigate and close deviation {number}").format(number=number)
            out.append(Task("deviation.close", title, url, due_after(opened_at, "deviation.close"), area))
    return out
