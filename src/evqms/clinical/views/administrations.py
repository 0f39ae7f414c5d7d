"""Clinical pages: administrations (with their outcomes), patients, adverse events (with investigation,
retained-sample tests, follow-up information and safety reports). Views parse and display; the
services check roles and rules and write the audit trail."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from evqms import errors
from evqms.clinical import forms, selectors, services
from evqms.clinical.listings import ADMINISTRATIONS, ADVERSE_EVENTS, PATIENTS
from evqms.clinical.models import SERIOUSNESS_CRITERIA
from evqms.core.views import act, attempt, page_language, require
from evqms.i18n import _
from evqms.inventory.models import RetentionSample


def administration_list(request):
    require(request, "clinical.view")
    q = request.GET.get("q", "").strip()
    table = ADMINISTRATIONS.table(request, selectors.administration_list(search=q or None))
    if table.export_format:
        return table.export()
    page = Paginator(table.rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "clinical/administration_list.html",
        {
            "page": page,
            "table": table,
            "q": q,
            "can_record": request.user.has_perm("clinical.record_administration"),
            "can_report": request.user.has_perm("clinical.record_adverse_event"),
        },
    )


@require_http_methods(["GET", "POST"])
def administration_create(request):
    require(request, "clinical.record_administration")
    form = forms.AdministrationForm(
        request.POST or None,
        initial={"patient": request.GET.get("patient", ""), "aliquots": request.GET.get("aliquot", "")},
    )

    def record(d):
        return services.record_administration(
            actor=request.user,
            patient=d["patient"],
            aliquots=d["aliquots"].replace(",", " ").split(),
            administered_at=d["administered_at"],
            route=d["route"],
            site=d["site"],
            dose=d["dose"] or None,
            dose_unit=d["dose_unit"],
            protein_dose=d["protein_dose"] or None,
            protein_unit=d["protein_unit"],
            body_weight_kg=d["body_weight_kg"] or None,
            notes=d["notes"],
        )

    recorded = _("Administration {number} recorded.")
    if done := attempt(request, form, record, success=lambda adm: recorded.format(number=adm.number)):
        return redirect(reverse("clinical:administration-detail", args=[done.result.number]))
    return render(request, "clinical/administration_create.html", {"form": form})


def administration_detail(request, number: str):
    require(request, "clinical.view")
    adm = selectors.get_administration(number)
    if adm is None:
        raise Http404
    evaluations = list(selectors.evaluations_of(adm))
    with_baseline = {e.instrument_use_id for e in evaluations if e.kind == "baseline"}
    visits = selectors.visits_of(adm)
    planned = {r.visit.instrument_use_id for r in visits}
    uses = list(selectors.active_uses_for(adm))  # read once for both offers below
    return render(
        request,
        "clinical/administration_detail.html",
        {
            "adm": adm,
            "events": adm.adverse_events.all(),
            "can_report": request.user.has_perm("clinical.record_adverse_event"),
            "evaluations": evaluations,
            "visits": visits,
            "baseline_to_record": [
                u for u in uses if u.pk not in with_baseline and u.instrument.needs_baseline
            ],
            "visits_to_plan": [u for u in uses if not u.instrument.needs_baseline and u.pk not in planned],
            "can_evaluate": request.user.has_perm("clinical.record_evaluation"),
            "lang": page_language(request),
        },
    )


@require_POST
def plan_visits(request, number: str):
    """Plan the visits of instruments without a baseline enabled after the administration."""
    require(request, "clinical.record_evaluation")
    adm = selectors.get_administration(number)
    if adm is None:
        raise Http404
    act(
        request,
        lambda: services.plan_visits_without_baseline(actor=request.user, administration=adm),
        success=_("Visits planned."),
    )
    return redirect(reverse("clinical:administration-detail", args=[adm.number]))


@require_http_methods(["GET", "POST"])
def patient_list(request):
    require(request, "clinical.view")
    table = PATIENTS.table(request, selectors.patient_list())
    if request.method == "GET" and table.export_format:
        return table.export()
    form = forms.PatientForm(request.POST or None)
    if request.method == "POST":
        require(request, "clinical.register_patient")

        def register(data):
            return services.register_patient(
                actor=request.user,
                code=data["code"],
                clinic_identifier=data["clinic_identifier"],
                birth_year=data["birth_year"],
                sex=data["sex"],
                consented_on=data["consented_on"],
            )

        if attempt(request, form, register, success=_("Patient registered.")):
            return redirect(reverse("clinical:patient-list"))
    return render(
        request,
        "clinical/patient_list.html",
        {
            "patients": table.rows,
            "table": table,
            "form": form,
            "can_register": request.user.has_perm("clinical.register_patient"),
        },
    )


def _clinical_context(request) -> dict:
    """What the clinical templates show of patients and links (one policy: clinical/rules.py)."""
    return {
        "show_patients": request.user.has_perm("clinical.view_patient_codes"),
        "can_view_clinical": request.user.has_perm("clinical.view"),
    }


def adverse_event_list(request):
    require(request, "clinical.view_adverse_event")
    table = ADVERSE_EVENTS.table(request, selectors.adverse_event_list())
    if table.export_format:
        return table.export()
    return render(
        request,
        "clinical/adverse_event_list.html",
        {"events": table.rows[:500], "table": table, **_clinical_context(request)},
    )


@require_http_methods(["GET", "POST"])
def adverse_event_create(request):
    require(request, "clinical.record_adverse_event")
    initial = {
        "administration": request.GET.get("administration", ""),
        "patient": request.GET.get("patient", ""),
    }
    form = forms.AdverseEventForm(request.POST or None, initial=initial)

    def record(d):
        return services.record_adverse_event(
            actor=request.user,
            patient=d["patient"],
            administration=d["administration"],
            onset=d["onset"],
            description=d["description"],
            ctcae_term=d["ctcae_term"],
            ctcae_grade=d["ctcae_grade"],
            seriousness_criteria=d["seriousness_criteria"],
            seriousness=d["seriousness"],
            expectedness=d["expectedness"] or "unknown",
            learned_on=d["learned_on"],
            causality=d["causality"],
            outcome=d["outcome"],
            outcome_on=d["outcome_on"],
        )

    recorded = _("Adverse event {number} recorded.")
    if done := attempt(request, form, record, success=lambda ae: recorded.format(number=ae.number)):
        return redirect(reverse("clinical:adverse-event-detail", args=[done.result.number]))
    return render(request, "clinical/adverse_event_create.html", {"form": form})


@require_http_methods(["GET", "POST"])
def adverse_event_detail(request, number: str):
    require(request, "clinical.view_adverse_event")
    ae = selectors.get_adverse_event(number)
    if ae is None:
        raise Http404
    inv_form = forms.InvestigationForm(
        initial={"investigation": ae.investigation, "outcome": ae.outcome, "causality": ae.causality}
    )
    test_form = forms.SampleTestForm()
    follow_form = forms.AdverseEventFollowUpForm(initial={"needs_report": True})
    if request.method == "POST" and request.POST.get("action") == "follow_up":
        require(request, "clinical.record_adverse_event")
        follow_form = forms.AdverseEventFollowUpForm(request.POST)

        def follow_up(data):
            return services.record_ae_follow_up(
                actor=request.user,
                adverse_event=ae,
                learned_on=data["learned_on"],
                information=data["information"],
                outcome=data["outcome"],
                seriousness_criteria=data["seriousness_criteria"] or None,
                needs_report=data["needs_report"],
            )

        if attempt(request, follow_form, follow_up, success=_("Follow-up information recorded.")):
            return redirect(reverse("clinical:adverse-event-detail", args=[number]))
    elif request.method == "POST":
        require(request, "clinical.record_investigation")
        if request.POST.get("action") == "investigate":
            form = inv_form = forms.InvestigationForm(request.POST)
            record = _update_investigation
        else:
            form = test_form = forms.SampleTestForm(request.POST)
            record = _record_sample_test
        # A refusal is flashed above both forms; the page shows the event again.
        saved = form.is_valid() and act(
            request, lambda: record(request, ae, form.cleaned_data), success=_("Saved.")
        )
        if saved:
            return redirect(reverse("clinical:adverse-event-detail", args=[number]))
    lot_ids = ae.administration.aliquots.values_list("lot_id", flat=True)
    samples = RetentionSample.objects.filter(lot_id__in=lot_ids, status="in_stock").select_related(
        "lot", "aliquot"
    )
    return render(
        request,
        "clinical/adverse_event_detail.html",
        {
            "ae": ae,
            "inv_form": inv_form,
            "test_form": test_form,
            "samples": samples,
            "can_investigate": request.user.has_perm("clinical.record_investigation"),
            "follow_form": follow_form,
            "can_follow_up": request.user.has_perm("clinical.record_adverse_event"),
            "reports": selectors.reports_of(ae),
            "criteria": _criteria_labels(ae),
            **_clinical_context(request),
        },
    )


def _criteria_labels(ae) -> list[str]:
    """The event's seriousness criteria in the page's language; an unknown stored code is shown as is."""
    labels = dict(SERIOUSNESS_CRITERIA)
    stored = ae.seriousness_criteria
    stored = stored if isinstance(stored, list) else [stored]
    return [str(labels.get(str(code), code)) for code in stored if code]


def _update_investigation(request, ae, data: dict):
    return services.update_investigation(actor=request.user, adverse_event=ae, **data)


def _record_sample_test(request, ae, data: dict):
    sample = RetentionSample.objects.filter(pk=data["retention_sample"]).first()
    if sample is None:
        raise errors.InputError(_("unknown retention sample"), where="retention_sample")
    return services.record_sample_test(
        actor=request.user,
        adverse_event=ae,
        retention_sample=sample,
        test=data["test"],
        result=data["result"],
        tested_on=data["tested_on"],
        conclusion=data["conclusion"],
    )
