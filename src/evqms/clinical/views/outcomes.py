"""Outcome pages: the instruments each product uses, a baseline before an administration, a
follow-up visit (its evaluation, or why it was missed) and the visits due."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from evqms import errors
from evqms.clinical import forms, selectors, services
from evqms.clinical.listings import VISITS
from evqms.clinical.models import InstrumentUse
from evqms.clinical.services.outcomes import stored_definition
from evqms.core.limits import record_id
from evqms.core.views import act, attempt, page_language, require
from evqms.i18n import _


@require_http_methods(["GET", "POST"])
def instrument_uses(request):
    require(request, "clinical.view")
    lang = page_language(request)
    definitions = _definitions()
    form = forms.InstrumentUseForm(request.POST or None, definitions=definitions, lang=lang)
    if request.method == "POST" and request.POST.get("action") == "disable":
        require(request, "clinical.manage_outcomes")
        try:
            pk = record_id(request.POST.get("use"), name="use")
        except errors.InputError:
            raise Http404 from None
        use = InstrumentUse.objects.filter(pk=pk).first() if pk else None
        if use is None:
            raise Http404
        # A refusal (no reason, already stopped) is flashed; the page shows the list again either way.
        act(
            request,
            lambda: services.disable_instrument(
                actor=request.user, use=use, reason=request.POST.get("reason", "")
            ),
            success=_("The instrument is no longer used for new baselines."),
        )
        return redirect(reverse("clinical:instrument-uses"))
    if request.method == "POST":
        require(request, "clinical.manage_outcomes")

        def enable(data):
            return services.enable_instrument(actor=request.user, **data)

        if attempt(request, form, enable, success=_("Instrument enabled for the product.")):
            return redirect(reverse("clinical:instrument-uses"))
    return render(
        request,
        "clinical/instrument_uses.html",
        {
            "uses": selectors.instrument_uses(),
            "definitions": definitions,
            "form": form,
            "lang": lang,
            "can_manage": request.user.has_perm("clinical.manage_outcomes"),
        },
    )


def _definitions() -> list:
    """The catalogue; a broken site file is shown as the page's message, never a 500."""
    try:
        return selectors.instruments_available()
    except errors.InputError:
        return []


@require_http_methods(["GET", "POST"])
def baseline_create(request, number: str, use: int):
    require(request, "clinical.record_evaluation")
    adm = selectors.get_administration(number)
    found = InstrumentUse.objects.select_related("instrument", "product").filter(pk=use).first()
    if adm is None or found is None:
        raise Http404
    lang = page_language(request)
    form = forms.EvaluationForm(
        request.POST or None, definition=stored_definition(found.instrument), lang=lang
    )

    def record(data):
        return services.record_baseline(
            actor=request.user,
            administration=adm,
            use=found,
            evaluated_at=data["evaluated_at"],
            values=form.values(),
            notes=data["notes"],
        )

    if attempt(request, form, record, success=_("Baseline recorded; the follow-up visits are planned.")):
        return redirect(reverse("clinical:administration-detail", args=[adm.number]))
    return render(
        request,
        "clinical/evaluation_form.html",
        {
            "form": form,
            "adm": adm,
            "instrument": found.instrument,
            "definition": form.definition,
            "lang": lang,
            "title": _("Baseline before {number}").format(number=adm.number),
        },
    )


@require_http_methods(["GET", "POST"])
def visit_detail(request, pk: int):
    require(request, "clinical.view")
    visit = selectors.get_visit(pk)
    if visit is None:
        raise Http404
    lang = page_language(request)
    definition = stored_definition(visit.instrument_use.instrument)
    action = request.POST.get("action") if request.method == "POST" else None
    follow_form = forms.EvaluationForm(
        request.POST if action == "evaluate" else None, definition=definition, lang=lang, prefix="fu"
    )
    missed_form = forms.MissedVisitForm(request.POST if action == "missed" else None, prefix="mv")
    if action:
        require(request, "clinical.record_evaluation")
    if action == "evaluate":

        def evaluate(data):
            return services.record_follow_up(
                actor=request.user,
                visit=visit,
                evaluated_at=data["evaluated_at"],
                values=follow_form.values(),
                notes=data["notes"],
            )

        if attempt(request, follow_form, evaluate, success=_("Follow-up evaluation recorded.")):
            return redirect(reverse("clinical:visit-detail", args=[pk]))
    elif action == "missed":

        def missed(data):
            return services.record_missed_visit(actor=request.user, visit=visit, reason=data["reason"])

        if attempt(request, missed_form, missed, success=_("The visit is recorded as missed.")):
            return redirect(reverse("clinical:visit-detail", args=[pk]))
    rows = [r for r in selectors.visits_of(visit.administration) if r.visit.pk == visit.pk]
    return render(
        request,
        "clinical/visit_detail.html",
        {
            "visit": visit,
            "row": rows[0] if rows else None,
            "baseline": visit.baseline,
            "definition": definition,
            "follow_form": follow_form,
            "missed_form": missed_form,
            "lang": lang,
            "can_evaluate": request.user.has_perm("clinical.record_evaluation"),
        },
    )


def visit_list(request):
    require(request, "clinical.view")
    table = VISITS.table(request, selectors.visits_due_for(request.user, include_missed=True))
    if table.export_format:
        return table.export()
    return render(
        request,
        "clinical/visit_list.html",
        {"rows": table.rows, "table": table, "lang": page_language(request)},
    )
