"""Reads of change control for its pages, the API, the dashboard and the work queue."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse

from evqms.changes.models import OPEN_FOR_VERSIONS, STATUSES, ChangeRequest
from evqms.core.tasks import Task
from evqms.i18n import _


def change_requests(*, status: str = "", kind: str = "", product_code: str = ""):
    rows = ChangeRequest.objects.select_related("opened_by")
    if status == "open":
        rows = rows.exclude(status__in=("closed", "rejected"))
    elif status in dict(STATUSES):
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if product_code:
        rows = rows.filter(product_code__iexact=product_code)
    return rows


def change_request(number: str) -> ChangeRequest | None:
    return (
        ChangeRequest.objects.select_related(
            "opened_by", "implemented_by", "approval_signature", "closure_signature"
        )
        .filter(number__iexact=number)
        .first()
    )


def usable_for_versions(kind: str, product_code: str = ""):
    """Approved change requests a new process or specification version may be made under."""
    rows = ChangeRequest.objects.filter(kind=kind, status__in=OPEN_FOR_VERSIONS)
    if product_code:
        rows = rows.filter(Q(product_code__iexact=product_code) | Q(product_code=""))
    return rows.order_by("number")


def dashboard_card(user) -> dict | None:
    if not user.has_perm("changes.view"):
        return None
    counts = dict(
        ChangeRequest.objects.exclude(status__in=("closed", "rejected"))
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return {
        "title": _("Change control"),
        "value": sum(counts.values()),
        "caption": _("to approve: {draft}, to implement: {approved}, to close: {implemented}").format(
            draft=counts.get("draft", 0),
            approved=counts.get("approved", 0),
            implemented=counts.get("implemented", 0),
        ),
        "url_name": "changes:list",
    }


def tasks_for(user) -> list[Task]:
    """QA: drafts to approve (not their own) and implemented changes to close."""
    tasks: list[Task] = []
    if user.has_perm("changes.approve"):
        for cr in (
            ChangeRequest.objects.filter(status="draft")
            .exclude(opened_by=user)
            .only("number", "title", "opened_at")
        ):
            tasks.append(
                Task(
                    kind="change.approve",
                    title=_("Decide change request {number}: {title}").format(
                        number=cr.number, title=cr.title
                    ),
                    url=reverse("changes:detail", args=[cr.number]),
                    due=cr.opened_at,
                    area=_("Change control"),
                )
            )
    if user.has_perm("changes.close"):
        for cr in ChangeRequest.objects.filter(status="implemented").only(
            "number", "title", "implemented_at"
        ):
            tasks.append(
                Task(
                    kind="change.close",
                    title=_("Close change request {number}: {title}").format(
                        number=cr.number, title=cr.title
                    ),
                    url=reverse("changes:detail", args=[cr.number]),
                    due=cr.implemented_at,
                    area=_("Change control"),
                )
            )
    return tasks
