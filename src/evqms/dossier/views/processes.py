"""Process versions: a new draft, its steps, parameters and bill of materials, and approval."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from evqms.core.views import act, attempt, require
from evqms.dossier import forms, selectors, services
from evqms.dossier import models as m
from evqms.dossier.views import form_view, product_or_404
from evqms.i18n import _


@require_POST
def process_new(request, code):
    require(request, "dossier.edit_process")
    product = product_or_404(code)
    form = forms.VersionForm(request.POST)
    created = attempt(
        request,
        form,
        lambda d: services.create_process_version(
            actor=request.user, product=product, description=d["description"]
        ),
        success=_("Draft process version created."),
    )
    if created:
        return redirect("dossier:process-detail", pk=created.result.pk)
    messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
    return redirect("dossier:product-detail", code=product.code)


def _process_page(
    request, proc, *, step_form=None, param_forms=None, sign_form=None, dialog=None, status=200
):
    proc = selectors.processes(proc.product).get(pk=proc.pk)
    editable = proc.status == "draft" and request.user.has_perm("dossier.edit_process")
    steps = list(proc.steps.all())
    param_forms = param_forms or {}
    return render(
        request,
        "dossier/process_detail.html",
        {
            "process": proc,
            "signatures": selectors.process_signatures(proc),
            "editable": editable,
            "steps": [(s, param_forms.get(s.pk) or forms.ParameterForm(prefix=f"p{s.pk}")) for s in steps],
            "step_form": step_form or forms.StepForm(prefix="step"),
            "can_approve": proc.status == "draft" and request.user.has_perm("dossier.approve_process"),
            "sign_form": sign_form or forms.SignForm(prefix="sign"),
            "dialog": dialog,
        },
        status=status,
    )


def process_detail(request, pk):
    require(request, "dossier.view")
    return _process_page(request, get_object_or_404(m.ProcessDefinition, pk=pk))


@require_http_methods(["GET", "POST"])
def process_materials(request, pk):
    require(request, "dossier.edit_process")
    proc = get_object_or_404(m.ProcessDefinition.objects.select_related("product"), pk=pk)
    page = reverse("dossier:process-detail", args=[proc.pk])
    initial = {"xeno_free": proc.xeno_free, "materials": list(proc.bill_of_materials.all())}
    return form_view(
        request,
        forms.ProcessMaterialsForm(request.POST or None, initial=initial),
        lambda d: services.set_process_materials(
            actor=request.user, process=proc, xeno_free=d["xeno_free"], materials=d["materials"]
        ),
        success=_("Bill of materials saved."),
        title=_("Bill of materials of process v{version}").format(version=proc.version),
        submit=_("Save"),
        back=page,
    )


@require_POST
def step_add(request, pk):
    require(request, "dossier.edit_process")
    proc = get_object_or_404(m.ProcessDefinition, pk=pk)
    form = forms.StepForm(request.POST, prefix="step")
    if attempt(
        request,
        form,
        lambda d: services.add_process_step(actor=request.user, process=proc, **d),
        success=_("Step added."),
    ):
        return redirect("dossier:process-detail", pk=proc.pk)
    return _process_page(request, proc, step_form=form, status=400)


@require_POST
def parameter_add(request, pk):
    require(request, "dossier.edit_process")
    step = get_object_or_404(m.ProcessStep, pk=pk)
    form = forms.ParameterForm(request.POST, prefix=f"p{step.pk}")
    if attempt(
        request,
        form,
        lambda d: services.add_process_parameter(actor=request.user, step=step, **d),
        success=_("Parameter added."),
    ):
        return redirect("dossier:process-detail", pk=step.process_id)
    return _process_page(request, step.process, param_forms={step.pk: form}, status=400)


@require_POST
def step_remove(request, pk):
    require(request, "dossier.edit_process")
    step = get_object_or_404(m.ProcessStep, pk=pk)
    act(
        request,
        lambda: services.remove_process_step(actor=request.user, step=step),
        success=_("Step removed."),
    )
    return redirect("dossier:process-detail", pk=step.process_id)


@require_POST
def parameter_remove(request, pk):
    require(request, "dossier.edit_process")
    param = get_object_or_404(m.ProcessParameter.objects.select_related("step"), pk=pk)
    act(
        request,
        lambda: services.remove_process_parameter(actor=request.user, parameter=param),
        success=_("Parameter removed."),
    )
    return redirect("dossier:process-detail", pk=param.step.process_id)


@require_POST
def process_approve(request, pk):
    require(request, "dossier.approve_process")
    proc = get_object_or_404(m.ProcessDefinition, pk=pk)
    form = forms.SignForm(request.POST, prefix="sign")
    if attempt(
        request,
        form,
        lambda d: services.approve_process(
            request=request, actor=request.user, process=proc, password=d["password"], reason=d["reason"]
        ),
        success=_("Process v{version} approved and signed.").format(version=proc.version),
    ):
        return redirect("dossier:process-detail", pk=proc.pk)
    return _process_page(request, proc, sign_form=form, dialog="approve", status=400)
