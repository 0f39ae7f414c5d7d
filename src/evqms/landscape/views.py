"""Landscape pages: trials by phase and over time, late-phase trials, literature counts and the
clinic survey, each as of a chosen date with its source, query and date; a trial's detail with
its classification and the audited override form; CSV exports. Reads go through selectors,
the override through services (which checks the role again)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from evqms import errors
from evqms.core import limits
from evqms.core.uploads import validate_upload_size
from evqms.landscape import selectors, services, trials_report
from evqms.landscape.clinic_survey import render_csv as render_clinics_csv
from evqms.landscape.listings import CLINIC_RESULTS, TRIALS
from evqms.landscape.models import CATEGORY_CHOICES, DECISION_CHOICES, ClinicSurveyRun, Ingest
from evqms.landscape.store import RawInput


def _require_view(request) -> None:
    if not request.user.has_perm("landscape.view"):
        raise PermissionDenied


def _as_of(request) -> tuple[dt.date, str]:
    """The as-of date from ?as_of=YYYY-MM-DD (default today) and an error text for a bad one."""
    text = (request.GET.get("as_of") or "").strip()
    if not text:
        return timezone.localdate(), ""
    try:
        return dt.date.fromisoformat(text), ""
    except ValueError:
        return timezone.localdate(), gettext("Not a date (YYYY-MM-DD): %(value)s") % {"value": text}


def _category_labels() -> dict[str, str]:
    return {value: str(label) for value, label in CATEGORY_CHOICES}


def _base_context(request, as_of: dt.date, error: str) -> dict:
    return {
        "as_of": as_of,
        "as_of_error": error,
        "snapshot_dates": selectors.snapshot_dates(),
        "category_labels": _category_labels(),
        "can_import": request.user.has_perm("landscape.store_snapshot"),
    }


def index(request):
    _require_view(request)
    as_of, error = _as_of(request)
    report = selectors.trials_report_as_of(as_of)
    series = selectors.pubmed_as_of(as_of)
    run = selectors.clinic_run_as_of(as_of)
    labels = _category_labels()
    charts = {
        "trials": selectors.chart_data(report),
        "categories": [{"key": k, "label": v} for k, v in labels.items()],
        "pubmed": selectors.pubmed_chart(series),
        "text": {
            "trials": gettext("Trials"),
            "phase": gettext("Phase"),
            "start_year": gettext("Start year"),
            "records": gettext("PubMed records"),
            "year": gettext("Publication year"),
            "seed": gettext("Seed query"),
            "broad": gettext("Broader query"),
            "retrieved": gettext("Retrieved"),
            "log_scale": gettext("logarithmic scale"),
        },
    }
    context = _base_context(request, as_of, error) | {
        "report": report,
        "total_trials": sum(report["totals"].values()),
        "late_phase": report["late_phase"],
        "series": series,
        "run": run,
        "summary": selectors.clinic_summary(run) if run else None,
        "included_results": selectors.clinic_results(run, "included")[:50] if run else [],
        "charts": charts,
    }
    return render(request, "landscape/index.html", context)


def trials(request):
    _require_view(request)
    as_of, error = _as_of(request)
    report = selectors.trials_report_as_of(as_of)
    category = request.GET.get("category") or ""
    table = TRIALS.table(request, [t for t in report["trials"] if not category or t["category"] == category])
    if table.export_format:
        return table.export()
    context = _base_context(request, as_of, error) | {
        "report": report,
        "rows": table.rows,
        "table": table,
        "category": category,
        "categories": CATEGORY_CHOICES,
    }
    return render(request, "landscape/trials.html", context)


def trials_csv(request):
    _require_view(request)
    as_of, _error = _as_of(request)
    report = selectors.trials_report_as_of(as_of)
    response = HttpResponse(trials_report.render_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ev-trials-{as_of.isoformat()}.csv"'
    return response


class OverrideForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=CATEGORY_CHOICES)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000
    )
    effective_from = forms.DateField(
        label=gettext_lazy("Applies from"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )


def _detail_context(request, nct_id: str, as_of: dt.date, error: str, form=None) -> dict:
    detail = selectors.trial_detail(nct_id, as_of)
    if detail is None:
        raise Http404
    can_override = request.user.has_perm("landscape.override_trial")
    if form is None and can_override:
        form = OverrideForm(
            initial={"category": detail["result"].category, "effective_from": timezone.localdate()}
        )
    return _base_context(request, as_of, error) | {
        "nct_id": nct_id,
        "detail": detail,
        "trial": detail["trial"],
        "form": form,
        "can_override": can_override,
    }


def trial_detail(request, nct_id: str):
    _require_view(request)
    as_of, error = _as_of(request)
    return render(request, "landscape/trial_detail.html", _detail_context(request, nct_id, as_of, error))


@require_POST
def trial_override(request, nct_id: str):
    _require_view(request)
    if not request.user.has_perm("landscape.override_trial"):
        raise PermissionDenied
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.override_trial_category(
                actor=request.user,
                nct_id=nct_id,
                category=form.cleaned_data["category"],
                reason=form.cleaned_data["reason"],
                effective_from=form.cleaned_data["effective_from"],
            )
        except errors.PermissionDenied:
            raise PermissionDenied from None
        except errors.InputError as exc:
            form.add_error(exc.where if exc.where in form.fields else None, exc.message)
        else:
            messages.success(request, gettext("The manual classification was recorded in the audit trail."))
            return redirect(reverse("landscape:trial-detail", args=[nct_id]))
    context = _detail_context(request, nct_id, timezone.localdate(), "", form=form)
    return render(request, "landscape/trial_detail.html", context, status=400)


def clinics(request):
    _require_view(request)
    as_of, error = _as_of(request)
    run = selectors.clinic_run_as_of(as_of)
    decision = request.GET.get("decision") or ""
    table = CLINIC_RESULTS.table(request, selectors.clinic_results(run, decision or None) if run else [])
    if table.export_format:
        return table.export()
    context = _base_context(request, as_of, error) | {
        "table": table,
        "run": run,
        "decision": decision,
        "decision_choices": DECISION_CHOICES,
        "summary": selectors.clinic_summary(run) if run else None,
        "results": table.rows,
    }
    return render(request, "landscape/clinics.html", context)


class ClinicReviewForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=DECISION_CHOICES)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000
    )


def _clinic_result_context(request, pk: int, form=None) -> dict:
    detail = selectors.clinic_result_detail(pk)
    if detail is None:
        raise Http404
    can_review = request.user.has_perm("landscape.override_clinic")
    if form is None and can_review:
        form = ClinicReviewForm(initial={"decision": detail["result"].effective})
    return {"detail": detail, "result": detail["result"], "form": form, "can_review": can_review}


def clinic_result(request, pk: int):
    _require_view(request)
    return render(request, "landscape/clinic_result.html", _clinic_result_context(request, pk))


@require_POST
def clinic_review(request, pk: int):
    _require_view(request)
    if not request.user.has_perm("landscape.override_clinic"):
        raise PermissionDenied
    form = ClinicReviewForm(request.POST)
    if form.is_valid():
        try:
            services.override_clinic_decision(
                actor=request.user,
                result_id=pk,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except errors.PermissionDenied:
            raise PermissionDenied from None
        except errors.InputError as exc:
            form.add_error(exc.where if exc.where in form.fields else None, exc.message)
        else:
            messages.success(request, gettext("The reviewer's decision was recorded in the audit trail."))
            return redirect(reverse("landscape:clinic-result", args=[pk]))
    return render(
        request, "landscape/clinic_result.html", _clinic_result_context(request, pk, form), status=400
    )


def clinics_csv(request):
    _require_view(request)
    as_of, _error = _as_of(request)
    run = selectors.clinic_run_as_of(as_of)
    if run is None:
        raise Http404
    response = HttpResponse(
        render_clinics_csv(selectors.clinic_report(run)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="clinic-survey-{run.surveyed_on.isoformat()}.csv"'
    )
    return response


# --- upload: a file loaded from the browser through the same services as `evqms landscape ... --db`

UPLOAD_KINDS = [
    ("trials", gettext_lazy("ClinicalTrials.gov API v2 JSON export (one study, a search page or a list)")),
    ("clinics", gettext_lazy("Clinic-survey crawl (WARC file, .warc or .warc.gz)")),
]


def upload_limit() -> int:
    """Largest accepted upload in bytes: EVQMS_UPLOAD_LIMIT_MB, as for every upload (evqms.core.limits)."""
    return limits.UPLOAD.bytes()


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of file"), choices=UPLOAD_KINDS, widget=forms.RadioSelect
    )
    file = forms.FileField(label=gettext_lazy("File"), validators=[validate_upload_size])
    as_of = forms.DateField(
        label=gettext_lazy("Snapshot date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy(
            "The date the trial records were downloaded (ClinicalTrials.gov exports; default today). "
            "A crawl is dated by its own retrieval dates."
        ),
    )


def _require_import(request) -> None:
    _require_view(request)
    if not request.user.has_perm("landscape.store_snapshot"):
        raise PermissionDenied


def _upload(request, form: UploadForm):
    """The service call for the chosen kind; the whole file is stored or nothing is."""
    upload = form.cleaned_data["file"]
    data = limits.read_upload(upload)
    if form.cleaned_data["kind"] == "trials":
        done = services.ingest_trial_files(
            actor=request.user,
            as_of=form.cleaned_data["as_of"] or timezone.localdate(),
            raw_inputs=[RawInput(upload.name, data)],
            strict=True,
        )
        return reverse("landscape:import-trials-result", args=[done.ingest.pk])
    run = services.ingest_clinic_upload(actor=request.user, name=upload.name, raw=data)
    return reverse("landscape:import-clinics-result", args=[run.pk])


def upload(request):
    _require_import(request)
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                return redirect(_upload(request, form))
            except errors.PermissionDenied:
                raise PermissionDenied from None
            except errors.InputError as exc:
                form.add_error("file", f"{exc.where}: {exc.message}" if exc.where else exc.message)
                form.add_error(None, gettext("Nothing was stored: correct the file and load it again."))
        status = 400
    else:
        form = UploadForm(initial={"kind": "trials", "as_of": timezone.localdate()})
    context = {"form": form, "limit": filesizeformat(upload_limit())}
    return render(request, "landscape/upload.html", context, status=status)


def upload_trials_result(request, pk: int):
    _require_import(request)
    try:
        ingest = Ingest.objects.get(pk=pk)
    except Ingest.DoesNotExist:
        raise Http404 from None
    context = {"kind": "trials", "ingest": ingest, "changes": selectors.ingest_changes(ingest)}
    return render(request, "landscape/upload_result.html", context)


def upload_clinics_result(request, pk: int):
    _require_import(request)
    try:
        run = ClinicSurveyRun.objects.get(pk=pk)
    except ClinicSurveyRun.DoesNotExist:
        raise Http404 from None
    context = {
        "kind": "clinics",
        "run": run,
        "decisions": selectors.clinic_decision_counts(run),
        "summary": selectors.clinic_summary(run),
    }
    return render(request, "landscape/upload_result.html", context)
