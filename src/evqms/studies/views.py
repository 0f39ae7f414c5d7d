"""Pages: input through forms into services, output from selectors; no rules here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from evqms import errors
from evqms.core.uploads import read_upload
from evqms.core.views import attempt, require
from evqms.dossier.models import Product
from evqms.lots.models import Lot
from evqms.lots.selectors import product_shelf_life
from evqms.studies import forms, plots, selectors, services
from evqms.studies.listings import POTENCY_RUNS
from evqms.studies.models import NTAImport, PotencyAssay, PotencyRun, StabilityStudy
from evqms.studies.templatetags.studies_tags import lot_status


def _svg(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="image/svg+xml; charset=utf-8")


def index(request):
    require(request, "studies.view")
    table = POTENCY_RUNS.table(request, selectors.potency_runs())
    if table.export_format:
        return table.export()
    context = {**selectors.overview(), "runs": table.rows[:20], "table": table}
    return render(
        request, "studies/index.html", {**context, "can_define": request.user.has_perm("studies.define")}
    )


# --- NTA ------------------------------------------------------------------------------------


def nta_upload(request, lot_number):
    require(request, "studies.view")
    lot = get_object_or_404(Lot.objects.select_related("product", "specification"), number=lot_number)
    context = {"lot": lot, "can_record": request.user.has_perm("studies.record")}
    try:
        context["plan"] = services.nta_attribute_plan(lot)
    except errors.InputError as exc:
        context["plan_error"] = str(exc)
    if request.method == "POST":
        require(request, "studies.record")
        form = forms.NTAUploadForm(request.POST, request.FILES)
        if done := attempt(request, form, _nta_recorder(request, lot, context), success=_nta_recorded):
            return redirect("studies:nta-detail", pk=done.result.pk)
    else:
        form = forms.NTAUploadForm()
    # choosing a file shows what it records (capture time, dilution) before anything is written
    form.fields["file"].widget.attrs.update({
        "hx-post": reverse("studies:nta-preview", args=[lot.number]), "hx-trigger": "change",
        "hx-target": "#nta-file-facts", "hx-encoding": "multipart/form-data",
    })  # fmt: skip
    context["form"] = form
    return render(request, "studies/nta_upload.html", context)


def _nta_recorder(request, lot, context):
    """The upload's action: an export with warnings is refused with them shown beside the file's
    figures, for the analyst to confirm; any other refusal shows what the chosen file records."""
    upload = request.FILES.get("file")

    def record(d):
        try:
            return services.attach_nta_export(
                actor=request.user, lot=lot, filename=upload.name, data=d["file"],
                concentration_attribute=d["concentration_attribute"].strip() or None,
                size_attributes=d["size_attributes"], tested_at=d["tested_at"],
                tested_at_reason=d["tested_at_reason"], dilution=d["dilution"],
                confirm_warnings=d["confirm_warnings"],
            )  # fmt: skip
        except services.NTAWarnings as exc:
            context.update(
                warnings=exc.warnings,
                comparison=selectors.nta_comparison(exc.parsed),
                histogram=[{"label": upload.name, **selectors.nta_histogram(exc.parsed)}],
            )
            raise errors.RuleViolation(
                _("The export has warnings: review them, then confirm and upload it again.")
            ) from exc
        except (errors.InputError, errors.RuleViolation):
            context["facts"] = _nta_facts(d["file"], upload.name)  # what the refused file records
            raise

    return record


def _nta_recorded(nta) -> str:
    return _("{n} QC results recorded from {file}.").format(n=nta.qc_results.count(), file=nta.original_name)


def _nta_facts(data: bytes, filename: str) -> dict | None:
    """What the chosen file records that the form needs: capture time and dilution."""
    try:
        parsed = services.parse_nta_export(data, filename)
    except errors.EvqmsError as exc:
        return {"error": str(exc)}
    captured = services.nta_captured_at(parsed)
    return {
        "file": filename,
        "instrument": parsed["instrument"],
        "software": parsed.get("software"),
        "captured_at": captured,
        "captured_value": timezone.localtime(captured).strftime("%Y-%m-%dT%H:%M") if captured else "",
        "dilution": parsed.get("dilution"),
        "dilution_recorded": parsed.get("dilution_recorded", parsed.get("dilution") is not None),
    }


def nta_preview(request, lot_number):
    """The file's capture time and dilution, shown as soon as a file is chosen (htmx), before
    anything is recorded: the form then asks for the dilution when the file lacks it."""
    require(request, "studies.record")
    lot = get_object_or_404(Lot, number=lot_number)
    upload = request.FILES.get("file")
    form = forms.NTAUploadForm()
    facts = None
    if upload is not None:
        try:
            facts = _nta_facts(read_upload(upload), upload.name)
        except errors.InputError as exc:  # above EVQMS_UPLOAD_LIMIT_MB
            facts = {"error": str(exc)}
        if facts and facts.get("captured_value"):
            form = forms.NTAUploadForm(initial={"tested_at": facts["captured_value"]})
    return render(request, "studies/_nta_file_facts.html", {"form": form, "facts": facts, "lot": lot})


def nta_detail(request, pk):
    require(request, "studies.view")
    nta = get_object_or_404(NTAImport.objects.select_related("lot", "imported_by"), pk=pk)
    return render(
        request,
        "studies/nta_detail.html",
        {
            "nta": nta,
            "comparison": selectors.nta_comparison(nta.parsed),
            "histogram": selectors.nta_overlay(nta),
            "results": nta.qc_results.select_related("attribute").order_by("attribute__order"),
        },
    )


def nta_svg(request, pk):
    require(request, "studies.view")
    nta = get_object_or_404(NTAImport, pk=pk)
    return _svg(plots.nta_size_svg(selectors.nta_overlay(nta)))


# --- potency --------------------------------------------------------------------------------


def assay_create(request):
    require(request, "studies.define")
    form = forms.PotencyAssayForm(request.POST or None)

    def create(data):
        return services.create_potency_assay(actor=request.user, **data)

    if done := attempt(request, form, create, success=_("Recorded.")):
        return redirect("studies:assay-detail", pk=done.result.pk)
    return render(request, "studies/form.html", {"form": form, "title": _("New potency assay")})


def assay_detail(request, pk):
    require(request, "studies.view")
    assay = get_object_or_404(PotencyAssay.objects.select_related("product", "reference_lot"), pk=pk)
    can_record = request.user.has_perm("studies.record")
    form = forms.PotencyRunForm(request.POST or None, request.FILES or None, assay=assay)
    if request.method == "POST":
        require(request, "studies.record")

    def record(d):
        return services.record_potency_run(
            actor=request.user, assay=assay, test_lot=d["test_lot"], filename=request.FILES["file"].name,
            data=d["file"], dose_column=d["dose_column"].strip(), response_column=d["response_column"].strip(),
            curve_column=d["curve_column"].strip(), reference_label=d["reference_label"].strip() or None,
            test_label=d["test_label"].strip() or None, tested_at=d["tested_at"], record_qc=d["record_qc"],
        )  # fmt: skip

    if done := attempt(request, form, record, success=_("Recorded.")):
        return redirect("studies:run-detail", pk=done.result.pk)
    return render(request, "studies/assay_detail.html", {
        "assay": assay, "runs": assay.runs.select_related("test_lot", "analyst"), "form": form,
        "can_record": can_record,
    })  # fmt: skip


def run_detail(request, pk):
    require(request, "studies.view")
    run = get_object_or_404(
        PotencyRun.objects.select_related("assay__reference_lot", "test_lot", "qc_result"), pk=pk
    )
    return render(request, "studies/run_detail.html", {"run": run, "curves": selectors.potency_curves(run)})


def run_svg(request, pk):
    require(request, "studies.view")
    run = get_object_or_404(PotencyRun.objects.select_related("assay"), pk=pk)
    return _svg(plots.dose_response_svg(selectors.potency_curves(run), run.assay.dose_unit))


# --- trend ----------------------------------------------------------------------------------


def _trend(request, product_code, code):
    require(request, "studies.view")
    product = get_object_or_404(Product, code=product_code)
    try:
        return selectors.trend(product, code)
    except errors.InputError as exc:
        raise Http404(str(exc)) from None


def trend(request, product_code, code):
    t = _trend(request, product_code, code)
    points = t["chart"]["points"] if t["enough"] else t["listed"]
    n = len(points)
    chart = None
    if n:
        chart = {
            "labels": [p["lot"] for p in points],
            "values": [p["value"] for p in points],
            "flagged": [bool(p.get("flagged")) for p in points],
            "marked": [str(lot_status(p["status"])) if p["marked"] else "" for p in points],
            "lsl": [t["lsl"]] * n if t["lsl"] is not None else None,
            "usl": [t["usl"]] * n if t["usl"] is not None else None,
        }
        if t["enough"]:
            c, mr = t["chart"], t["chart"]["moving_range"]
            chart.update(
                center=[c["center"]] * n,
                ucl=[c["ucl"]] * n,
                lcl=[c["lcl"]] * n,
                mr={
                    "values": [None, *mr["values"]],
                    "center": [mr["center"]] * n,
                    "ucl": [mr["ucl"]] * n,
                    "flagged": [False] + [p["mr_beyond_limits"] for p in points[1:]],
                },
            )
    return render(request, "studies/trend.html", {"t": t, "chart_data": chart})


def trend_svg(request, product_code, code):
    t = _trend(request, product_code, code)
    if not t["enough"]:
        raise PermissionDenied
    return _svg(plots.control_chart_svg(t))


# --- stability ------------------------------------------------------------------------------


def stability_create(request):
    require(request, "studies.define")
    form = forms.StabilityStudyForm(request.POST or None)

    def create(data):
        return services.create_stability_study(actor=request.user, **data)

    if done := attempt(request, form, create, success=_("Recorded.")):
        return redirect("studies:stability-detail", pk=done.result.pk)
    return render(request, "studies/form.html", {"form": form, "title": _("New stability study")})


def stability_detail(request, pk):
    require(request, "studies.view")
    study = get_object_or_404(StabilityStudy.objects.select_related("product"), pk=pk)
    form = forms.StabilityResultForm(request.POST or None, study=study)
    if request.method == "POST":
        require(request, "studies.record")

    def add(data):
        return services.add_stability_result(actor=request.user, study=study, **data)

    if attempt(request, form, add, success=_("Recorded.")):
        return redirect("studies:stability-detail", pk=study.pk)
    analysis, problem = None, None
    try:
        analysis = selectors.stability_analysis(study)
    except errors.InputError as exc:
        problem = str(exc)
    chart = None
    if analysis:
        chart = {
            "series": analysis["series"], "decisive_batch": analysis["decisive_batch"],
            "grid_end": analysis["grid_end"], "limits": analysis["result"]["spec"],
        }  # fmt: skip
    return render(request, "studies/stability_detail.html", {
        "study": study, "form": form, "analysis": analysis, "problem": problem, "chart": chart,
        "results": study.results.select_related("lot"), "can_record": request.user.has_perm("studies.record"),
        "approved": product_shelf_life(study.product_id),  # what the release gate holds lots to
    })  # fmt: skip


def stability_svg(request, pk):
    require(request, "studies.view")
    study = get_object_or_404(StabilityStudy, pk=pk)
    try:
        analysis = selectors.stability_analysis(study)
    except errors.InputError as exc:
        raise Http404(str(exc)) from None
    lower = float(study.lower) if study.lower is not None else None
    upper = float(study.upper) if study.upper is not None else None
    return _svg(plots.stability_svg(analysis, lower, upper, study.unit))


# --- in-vivo records ------------------------------------------------------------------------


def _record_create(request, form_class, service, title):
    require(request, "studies.define")
    form = form_class(request.POST or None)
    if attempt(request, form, lambda data: service(actor=request.user, **data), success=_("Recorded.")):
        return redirect("studies:index")
    return render(request, "studies/form.html", {"form": form, "title": title})


def biodistribution_create(request):
    return _record_create(request, forms.BiodistributionForm, services.create_biodistribution_study,
                          _("New biodistribution study"))  # fmt: skip


def dose_response_create(request):
    return _record_create(request, forms.DoseResponseForm, services.create_dose_response_study,
                          _("New dose-response study"))  # fmt: skip
