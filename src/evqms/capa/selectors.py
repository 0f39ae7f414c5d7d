"""Reads for the deviation and CAPA pages, the API, the dashboard and the work queue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone

from evqms.capa.models import Capa, CapaAction
from evqms.core.db import counts
from evqms.core.tasks import Task
from evqms.i18n import _
from evqms.lots.deviation_rules import rule_text
from evqms.lots.models import Deviation, DeviationImpact
from evqms.lots.services.deviations import closure_refusals as deviation_closure_refusals

DUE_SOON_DAYS = 14
CAPA_FILTERS = ("open", "overdue", "closed")


# --- deviations --------------------------------------------------------------------------------


def deviation_list(*, status: str = "", classification: str = "", source: str = ""):
    """Deviations newest first, filtered by status, classification and source (unknown values of
    a query string filter nothing out rather than fail)."""
    qs = Deviation.objects.select_related("lot", "opened_by").prefetch_related("affected_lots", "capas")
    if status and status in dict(Deviation.STATUSES):
        qs = qs.filter(status=status)
    if classification and classification in dict(Deviation.CLASSIFICATIONS):
        qs = qs.filter(classification=classification)
    if source and source in dict(Deviation.SOURCES):
        qs = qs.filter(source=source)
    return qs.order_by("-opened_at", "-id")


def deviation_detail(deviation: Deviation) -> dict:
    """Everything the deviation page shows: the lots with their impact assessments, the material
    lots, the CAPA linked, and what still stops its closure."""
    impacts = {
        i.lot_id: i for i in DeviationImpact.objects.filter(deviation=deviation).select_related("assessed_by")
    }
    lots = list(deviation.affected_lots.order_by("number"))
    return {
        "deviation": deviation,
        "rule_text": rule_text(deviation.classification_rule) if deviation.classification_rule else "",
        "lots": [{"lot": lot, "impact": impacts.get(lot.pk)} for lot in lots],
        "material_lots": list(
            deviation.affected_material_lots.select_related("material").order_by("lot_number")
        ),
        "capas": list(deviation.capas.order_by("number")),
        "refusals": deviation_closure_refusals(deviation) if deviation.status == "open" else [],
    }


# --- CAPA --------------------------------------------------------------------------------------


def capa_list(show: str = ""):
    """CAPA newest first; `show` open, overdue (an open action past its due date, or an effectiveness
    check past its planned day) or closed."""
    today = timezone.localdate()
    qs = Capa.objects.select_related("created_by").annotate(
        open_actions=Count("actions", filter=Q(actions__status="open")),
        overdue_actions=Count("actions", filter=Q(actions__status="open", actions__due_on__lt=today)),
    )
    if show == "open":
        qs = qs.filter(status="open")
    elif show == "closed":
        qs = qs.filter(status="closed")
    elif show == "overdue":
        overdue_checks = [c.pk for c in _checks_due(qs.filter(status="open")) if c.due < today]
        qs = qs.filter(status="open").filter(Q(overdue_actions__gt=0) | Q(pk__in=overdue_checks))
    return qs.prefetch_related("deviations").order_by("-created_at", "-id")


class _Due:
    def __init__(self, capa: Capa, due: dt.date):
        self.pk, self.capa, self.due = capa.pk, capa, due


def _checks_due(capas) -> list[_Due]:
    """Open CAPA whose every action is done and whose effectiveness check is not recorded, with the
    day it falls due (the last action done plus the interval)."""
    rows = (
        capas.filter(status="open", effectiveness_result="")
        .annotate(
            n=Count("actions"),
            n_open=Count("actions", filter=Q(actions__status="open")),
            last_done=Max("actions__done_on"),
        )
        .filter(n__gt=0, n_open=0)
    )
    return [_Due(c, c.last_done + dt.timedelta(days=c.effectiveness_after_days)) for c in rows]


def capa_detail(capa: Capa) -> dict:
    from evqms.capa.services import closure_refusals

    actions = list(capa.actions.select_related("owner", "done_by").order_by("due_on", "id"))
    today = timezone.localdate()
    return {
        "capa": capa,
        "actions": [{"action": a, "overdue": a.status == "open" and a.due_on < today} for a in actions],
        "deviations": list(capa.deviations.order_by("number")),
        "effectiveness_due": capa.effectiveness_due_on(),
        "check_recordable": capa.status == "open"
        and capa.effectiveness_due_on() is not None
        and capa.effectiveness_due_on() <= today,
        "refusals": closure_refusals(capa) if capa.status == "open" else [],
    }


def tasks_for(user) -> list[Task]:
    """The CAPA actions the user owns that are open (due date as planned); for QA the open major or
    critical deviations that still need a CAPA, and the effectiveness checks that have fallen due
    (or fall due within two weeks)."""
    if not user.is_authenticated or not user.has_perm("capa.view"):
        return []
    tasks = []
    for action in CapaAction.objects.filter(owner=user, status="open", capa__status="open").select_related(
        "capa"
    ):
        if user.has_perm("capa.complete_action", action):
            tasks.append(
                Task(
                    kind="capa.action",
                    title=_("CAPA {number}: {action}").format(
                        number=action.capa.number, action=action.description[:80]
                    ),
                    url=reverse("capa:detail", args=[action.capa.number]),
                    due=action.due_on,
                    area=str(_("CAPA")),
                )
            )
    if user.has_perm("lots.close_deviation") and user.has_perm("capa.manage"):
        # A major or critical deviation cannot be closed before a CAPA is linked to it.
        for deviation in Deviation.objects.filter(
            status="open", classification__in=("major", "critical"), capas__isnull=True
        ).order_by("opened_at")[:200]:
            tasks.append(
                Task(
                    kind="deviation.capa_needed",
                    title=_("Deviation {number}: link or create a CAPA").format(number=deviation.number),
                    url=reverse("deviations:detail", args=[deviation.number]),
                    due=deviation.opened_at,
                    area=str(_("Deviations")),
                )
            )
    if user.has_perm("capa.check_effectiveness"):
        horizon = timezone.localdate() + dt.timedelta(days=DUE_SOON_DAYS)
        for due in _checks_due(Capa.objects.all()):
            if due.due <= horizon:
                tasks.append(
                    Task(
                        kind="capa.effectiveness",
                        title=_("CAPA {number}: check effectiveness").format(number=due.capa.number),
                        url=reverse("capa:detail", args=[due.capa.number]),
                        due=due.due,
                        area=str(_("CAPA")),
                    )
                )
    return tasks


def dashboard_card(user) -> dict | None:
    """Open deviations (how many major or critical) for whoever reads the deviation list; the open
    CAPA and their overdue actions for whoever may read CAPA too."""
    if not user.has_perm("deviations.view"):
        return None
    open_ones = Deviation.objects.filter(status="open")
    asked = dict(open=open_ones, major=open_ones.filter(classification__in=("major", "critical")))
    if user.has_perm("capa.view"):
        today = timezone.localdate()
        asked["capa"] = Capa.objects.filter(status="open")
        asked["overdue"] = CapaAction.objects.filter(status="open", capa__status="open", due_on__lt=today)
    n = counts(**asked)
    caption = _("open deviations ({major} major or critical)").format(major=n["major"])
    if "capa" in n:
        caption += "; " + _("{capa} open CAPA, {overdue} actions overdue").format(
            capa=n["capa"], overdue=n["overdue"]
        )
    return {
        "title": _("Deviations and CAPA"),
        "value": n["open"],
        "caption": caption,
        "url_name": "deviations:list",
    }
