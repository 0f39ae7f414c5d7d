"""Deviation and CAPA pages: lists with filters, a deviation's page (classify, investigate, assess
each lot, close with a signature), a CAPA's page (actions, effectiveness check, closure)."""

from __future__ import annotations

import re

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from evqms.capa import forms, selectors, services
from evqms.capa.listings import CAPAS, DEVIATIONS
from evqms.capa.models import Capa, CapaAction
from evqms.core import identifiers
from evqms.core.views import attempt, require
from evqms.dossier.models import MaterialLot
from evqms.errors import InputError
from evqms.i18n import _
from evqms.lots import services as lot_services
from evqms.lots.models import Deviation, Lot

_SPLIT = re.compile(r"[\s,、，;]+")


def _numbers(text: str) -> list[str]:
    return [identifiers.normalise(t) for t in _SPLIT.split(text or "") if t.strip()]


def _lots(text: str, field: str = "lots") -> list[Lot]:
    out = []
    for number in _numbers(text):
        lot = Lot.objects.filter(number__iexact=number).first()
        if lot is None:
            raise InputError(_("no lot {number}").format(number=number), where=field)
        out.append(lot)
    return out


def _material_lots(text: str, field: str = "material_lots") -> list[MaterialLot]:
    out = []
    for number in _numbers(text):
        found = list(MaterialLot.objects.filter(lot_number__iexact=number)[:2])
        if len(found) != 1:
            message = _("no material lot {number}") if not found else _("material lot {number} is ambiguous")
            raise InputError(message.format(number=number), where=field)
        out.append(found[0])
    return out


def _deviation_or_404(number: str) -> Deviation:
    deviation = (
        Deviation.objects.select_related(
            "lot", "opened_by", "classified_by", "investigated_by", "closed_by", "close_signature"
        )
        .filter(number=number)
        .first()
    )
    if deviation is None:
        raise Http404
    return deviation


def _capa_or_404(number: str) -> Capa:
    capa = (
        Capa.objects.select_related("created_by", "closed_by", "close_signature")
        .filter(number=number)
        .first()
    )
    if capa is None:
        raise Http404
    return capa


# --- deviations --------------------------------------------------------------------------------


def deviation_list(request):
    require(request, "deviations.view")
    status = request.GET.get("status", "")
    classification = request.GET.get("classification", "")
    source = request.GET.get("source", "")
    table = DEVIATIONS.table(
        request, selectors.deviation_list(status=status, classification=classification, source=source)
    )
    if table.export_format:
        return table.export()
    return render(
        request,
        "capa/deviation_list.html",
        {
            "deviations": table.rows[:200],
            "table": table,
            "status": status,
            "classification": classification,
            "source": source,
            "statuses": Deviation.STATUSES,
            "classifications": [c for c in Deviation.CLASSIFICATIONS if c[0]],
            "sources": Deviation.SOURCES,
            "can_open": request.user.has_perm("lots.open_deviation"),
        },
    )


@require_http_methods(["GET", "POST"])
def deviation_new(request):
    require(request, "lots.open_deviation")
    form = forms.DeviationOpenForm(request.POST or None, initial={"lots": request.GET.get("lot", "")})

    def open_it(data):
        return lot_services.open_deviation(
            actor=request.user,
            description=data["description"],
            lots=_lots(data["lots"]),
            material_lots=_material_lots(data["material_lots"]),
            occurred_at=data["occurred_at"],
            equipment=data["equipment"],
        )

    done = attempt(
        request, form, open_it, success=lambda d: _("Deviation {number} opened.").format(number=d.number)
    )
    if done:
        return redirect(reverse("deviations:detail", args=[done.result.number]))
    status = 400 if request.method == "POST" else 200
    return render(request, "capa/deviation_new.html", {"form": form}, status=status)


def _deviation_forms(request, deviation: Deviation) -> tuple[dict, object]:
    """The page's forms (the posted one bound) and the service call of the posted one."""
    post = request.POST if request.method == "POST" else None
    which = request.POST.get("action", "") if post else ""
    user = request.user
    bound = {}

    def form(name, cls, **kw):
        f = cls(post if which == name else None, prefix=name, **kw)
        bound[name] = f
        return f

    classify = form(
        "classify", forms.ClassifyForm, initial={"classification": deviation.classification or "minor"}
    )
    investigate = form(
        "investigate",
        forms.InvestigationForm,
        initial={
            "root_cause_category": deviation.root_cause_category,
            "investigation": deviation.investigation,
        },
    )
    name_lots = form("name_lots", forms.NameLotsForm)
    close = form("close", forms.SignForm)
    impact_forms = {}
    for lot in deviation.affected_lots.order_by("number"):
        impact_forms[lot.pk] = form(f"impact-{lot.pk}", forms.ImpactForm)
    calls = {
        "classify": (
            classify,
            lambda d: lot_services.classify_deviation(
                actor=user, deviation=deviation, classification=d["classification"], reason=d["reason"]
            ),
            _("Classification recorded."),
        ),
        "investigate": (
            investigate,
            lambda d: lot_services.record_investigation(
                actor=user,
                deviation=deviation,
                root_cause_category=d["root_cause_category"],
                investigation=d["investigation"],
            ),
            _("Investigation recorded."),
        ),
        "name_lots": (
            name_lots,
            lambda d: lot_services.name_lots(
                actor=user,
                deviation=deviation,
                lots=_lots(d["lots"]),
                material_lots=_material_lots(d["material_lots"]),
            ),
            _("Lots added."),
        ),
        "close": (
            close,
            lambda d: lot_services.close_deviation(
                request=request,
                actor=user,
                deviation=deviation,
                password=d["password"],
                resolution=d["resolution"],
            ),
            _("Deviation {number} closed.").format(number=deviation.number),
        ),
    }
    for lot in deviation.affected_lots.all():
        calls[f"impact-{lot.pk}"] = (
            impact_forms[lot.pk],
            lambda d, lot=lot: lot_services.assess_impact(
                actor=user, deviation=deviation, lot=lot, assessment=d["assessment"], reasoning=d["reasoning"]
            ),
            _("Impact on lot {lot} recorded.").format(lot=lot.number),
        )
    return {"bound": bound, "impact_forms": impact_forms}, calls.get(which)


@require_http_methods(["GET", "POST"])
def deviation_detail(request, number: str):
    require(request, "deviations.view")
    deviation = _deviation_or_404(number)
    page_forms, call = _deviation_forms(request, deviation)
    status = 200
    if request.method == "POST":
        if call is None:
            return redirect(reverse("deviations:detail", args=[deviation.number]))
        form, action, success = call
        if attempt(request, form, action, success=success):
            return redirect(reverse("deviations:detail", args=[deviation.number]))
        status = 400
    deviation = _deviation_or_404(number)
    detail = selectors.deviation_detail(deviation)
    for row in detail["lots"]:
        row["form"] = page_forms["impact_forms"].get(row["lot"].pk)
    user = request.user
    is_open = deviation.status == "open"
    return render(
        request,
        "capa/deviation_detail.html",
        {
            **detail,
            "forms": page_forms["bound"],
            "can": {
                "classify": is_open and user.has_perm("lots.classify_deviation"),
                "investigate": is_open and user.has_perm("lots.investigate_deviation"),
                "assess": is_open and user.has_perm("lots.assess_deviation_impact"),
                "close": is_open and user.has_perm("lots.close_deviation"),
                "create_capa": user.has_perm("capa.manage"),
            },
        },
        status=status,
    )


# --- CAPA --------------------------------------------------------------------------------------


def capa_list(request):
    require(request, "capa.view")
    show = request.GET.get("show", "")
    show = show if show in selectors.CAPA_FILTERS else ""
    table = CAPAS.table(request, selectors.capa_list(show))
    if table.export_format:
        return table.export()
    return render(
        request,
        "capa/capa_list.html",
        {
            "capas": table.rows[:200],
            "table": table,
            "show": show,
            "filters": [
                ("", _("All")),
                ("open", _("Open")),
                ("overdue", _("Overdue")),
                ("closed", _("Closed")),
            ],
            "can_create": request.user.has_perm("capa.manage"),
        },
    )


def _deviations(text: str) -> list[Deviation]:
    out = []
    for number in _numbers(text):
        deviation = Deviation.objects.filter(number__iexact=number).first()
        if deviation is None:
            raise InputError(_("no deviation {number}").format(number=number), where="deviations")
        out.append(deviation)
    return out


@require_http_methods(["GET", "POST"])
def capa_new(request):
    require(request, "capa.manage")
    initial = {"deviations": request.GET.get("deviation", "")}
    if initial["deviations"]:
        found = Deviation.objects.filter(number__iexact=identifiers.normalise(initial["deviations"])).first()
        if found is not None:
            initial["title"] = found.description[:120]
    form = forms.CapaForm(request.POST or None, initial=initial)

    def create(data):
        return services.create_capa(
            actor=request.user,
            title=data["title"],
            kind=data["kind"],
            description=data["description"],
            deviations=_deviations(data["deviations"]),
            source_reference=data["source_reference"],
            effectiveness_after_days=data["effectiveness_after_days"],
        )

    done = attempt(
        request, form, create, success=lambda c: _("CAPA {number} opened.").format(number=c.number)
    )
    if done:
        return redirect(reverse("capa:detail", args=[done.result.number]))
    status = 400 if request.method == "POST" else 200
    return render(request, "capa/capa_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def capa_detail(request, number: str):
    require(request, "capa.view")
    capa = _capa_or_404(number)
    user = request.user
    post = request.POST if request.method == "POST" else None
    which = post.get("action", "") if post else ""

    def bound(name, cls):
        return cls(post if which == name else None, prefix=name)

    action_form = bound("add-action", forms.ActionForm)
    check_form = bound("effectiveness", forms.EffectivenessForm)
    link_form = bound("link", forms.LinkDeviationForm)
    close_form = bound("close", forms.SignForm)
    complete_forms = {}
    for action in capa.actions.all():
        complete_forms[action.pk] = bound(f"complete-{action.pk}", forms.CompleteActionForm)
    calls = {
        "add-action": (
            action_form,
            lambda d: services.add_action(
                actor=user, capa=capa, description=d["description"], owner=d["owner"], due_on=d["due_on"]
            ),
            _("Action added."),
        ),
        "effectiveness": (
            check_form,
            lambda d: services.record_effectiveness(
                actor=user, capa=capa, result=d["result"], evidence=d["evidence"]
            ),
            _("Effectiveness check recorded."),
        ),
        "link": (
            link_form,
            lambda d: (
                services.link_deviation(actor=user, capa=capa, deviation=_deviations(d["deviation"])[0])
                if _numbers(d["deviation"])
                else None
            ),
            _("Deviation linked."),
        ),
        "close": (
            close_form,
            lambda d: services.close_capa(
                request=request, actor=user, capa=capa, password=d["password"], reason=d["resolution"]
            ),
            _("CAPA {number} closed.").format(number=capa.number),
        ),
    }
    for pk, form in complete_forms.items():
        action = CapaAction.objects.get(pk=pk)
        calls[f"complete-{pk}"] = (
            form,
            lambda d, action=action: services.complete_action(
                actor=user, action=action, evidence=d["evidence"], done_on=d["done_on"]
            ),
            _("Action recorded as done."),
        )
    status = 200
    if request.method == "POST":
        call = calls.get(which)
        if call is None:
            return redirect(reverse("capa:detail", args=[capa.number]))
        form, do, success = call
        if attempt(request, form, do, success=success):
            return redirect(reverse("capa:detail", args=[capa.number]))
        status = 400
    capa = _capa_or_404(number)
    detail = selectors.capa_detail(capa)
    is_open = capa.status == "open"
    for row in detail["actions"]:
        a = row["action"]
        row["form"] = (
            complete_forms.get(a.pk)
            if is_open and a.status == "open" and user.has_perm("capa.complete_action", a)
            else None
        )
    return render(
        request,
        "capa/capa_detail.html",
        {
            **detail,
            "action_form": action_form,
            "check_form": check_form,
            "link_form": link_form,
            "close_form": close_form,
            "can": {
                "manage": is_open and user.has_perm("capa.manage"),
                "check": is_open and user.has_perm("capa.check_effectiveness"),
                "close": is_open and user.has_perm("capa.close"),
            },
        },
        status=status,
    )
