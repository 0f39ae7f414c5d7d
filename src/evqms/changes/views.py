"""Change-control pages: the list, a proposal, and one page per change request where each next
step (assess, approve or reject, implement, close) is done by whoever may do it."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from evqms.changes import forms, selectors, services
from evqms.changes.listings import CHANGE_REQUESTS
from evqms.core.views import attempt, require
from evqms.i18n import _


def change_list(request):
    require(request, "changes.view")
    form = forms.FilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    table = CHANGE_REQUESTS.table(
        request, selectors.change_requests(status=data.get("status", ""), kind=data.get("kind", ""))
    )
    if table.export_format:
        return table.export()
    return render(request, "changes/list.html", {"rows": table.rows, "filter": form, "table": table})


@require_http_methods(["GET", "POST"])
def change_new(request):
    require(request, "changes.propose")
    form = forms.ProposeForm(request.POST or None, initial={"product_code": request.GET.get("product", "")})
    done = attempt(
        request,
        form,
        lambda d: services.propose_change(actor=request.user, **d),
        success=lambda cr: _("Change request {number} opened.").format(number=cr.number),
    )
    if done:
        return redirect(reverse("changes:detail", args=[done.result.number]))
    return render(
        request, "changes/new.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


# The step a POST asks for: (permission, form, the service call, success message).
def _steps(request, cr):
    return {
        "assess": (
            "changes.propose",
            forms.AssessForm,
            lambda d: services.assess_change(actor=request.user, change_request=cr, **d),
            _("Impact assessment saved."),
        ),
        "approve": (
            "changes.approve",
            forms.SignForm,
            lambda d: services.approve_change(
                request=request,
                actor=request.user,
                change_request=cr,
                password=d["password"],
                reason=d["reason"],
            ),
            _("Change request {number} approved and signed.").format(number=cr.number),
        ),
        "reject": (
            "changes.approve",
            forms.RejectForm,
            lambda d: services.reject_change(actor=request.user, change_request=cr, reason=d["reason"]),
            _("Change request {number} rejected.").format(number=cr.number),
        ),
        "implement": (
            "changes.implement",
            forms.ImplementForm,
            lambda d: services.record_implementation(
                actor=request.user, change_request=cr, summary=d["summary"]
            ),
            _("Implementation recorded."),
        ),
        "close": (
            "changes.close",
            forms.SignForm,
            lambda d: services.close_change(
                request=request,
                actor=request.user,
                change_request=cr,
                password=d["password"],
                reason=d["reason"],
            ),
            _("Change request {number} closed and signed.").format(number=cr.number),
        ),
    }


@require_http_methods(["GET", "POST"])
def change_detail(request, number: str):
    require(request, "changes.view")
    cr = selectors.change_request(number)
    if cr is None:
        raise Http404
    steps = _steps(request, cr)
    bound, status = {}, 200
    if request.method == "POST":
        step = request.POST.get("step", "")
        if step not in steps:
            raise Http404
        perm, form_class, call, success = steps[step]
        require(request, perm)
        form = form_class(request.POST, prefix=step)
        if attempt(request, form, call, success=success):
            return redirect(reverse("changes:detail", args=[cr.number]))
        bound[step], status = form, 400
    initial = {
        "assess": {
            "impact_assessment": cr.impact_assessment,
            "quality_impact": cr.quality_impact,
            "comparability_plan": cr.comparability_plan,
        }
    }
    offered = {
        "assess": cr.status == "draft",
        "approve": cr.status == "draft",
        "reject": cr.status == "draft",
        "implement": cr.status == "approved",
        "close": cr.status == "implemented",
    }
    step_forms = {
        step: bound.get(step) or form_class(prefix=step, initial=initial.get(step))
        for step, (perm, form_class, _call, _msg) in steps.items()
        if offered[step] and request.user.has_perm(perm)
    }
    return render(
        request,
        "changes/detail.html",
        {
            "cr": cr,
            "step_forms": step_forms,
            "process_versions": cr.process_versions.select_related("product"),
            "specification_versions": cr.specification_versions.select_related("product"),
            "comparability": cr.comparability_records.select_related("process__product"),
            "closure_problems": services.closure_problems(cr) if cr.status == "implemented" else [],
        },
        status=status,
    )
