"""Method suitability pages (sterility, endotoxin, mycoplasma methods per product): the list, one
record with QA's approval, and recording one. Thin: services decide, selectors read."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from evqms.audit.selectors import signatures_for
from evqms.core.views import attempt, require
from evqms.dossier.models import Product
from evqms.i18n import _
from evqms.lots import forms
from evqms.lots.models import MethodSuitability
from evqms.lots.records import method_suitability_record
from evqms.lots.selectors import microbiology as selectors
from evqms.lots.services import microbiology as services


def suitability_list(request):
    require(request, "lots.view")
    product = Product.objects.filter(code=request.GET.get("product", "")[:40]).first()
    status = request.GET.get("status", "")
    return render(
        request,
        "lots/suitability_list.html",
        {
            "records": selectors.suitability_list(
                product_id=product.pk if product else None,
                status=status if status in dict(MethodSuitability.STATUSES) else "",
            )[:500],
            "product": product,
            "can_record": request.user.has_perm("lots.record_method_suitability"),
        },
    )


def _record_or_404(number: str) -> MethodSuitability:
    record = MethodSuitability.objects.filter(number=number[:40]).first()
    if record is None:
        raise Http404
    return selectors.get_suitability(record.pk)


def _detail(request, record, form=None, status=200):
    return render(
        request,
        "lots/suitability_detail.html",
        {
            "record": record,
            "signatures": signatures_for("method_suitability", record.pk, method_suitability_record(record)),
            "approve_form": form
            if form is not None
            else (forms.SignForm() if request.user.has_perm("lots.approve_method_suitability") else None),
        },
        status=status,
    )


def suitability_detail(request, number: str):
    require(request, "lots.view")
    return _detail(request, _record_or_404(number))


@require_POST
def suitability_approve(request, number: str):
    require(request, "lots.approve_method_suitability")
    record = _record_or_404(number)
    form = forms.SignForm(request.POST)
    done = attempt(
        request,
        form,
        lambda d: services.approve_method_suitability(
            request=request, actor=request.user, record=record, password=d["password"], reason=d["reason"]
        ),
        success=_("{number} approved.").format(number=record.number),
    )
    if done:
        return redirect(reverse("lots:suitability-detail", args=[record.number]))
    return _detail(request, _record_or_404(number), form=form, status=400)


@require_http_methods(["GET", "POST"])
def suitability_record(request):
    require(request, "lots.record_method_suitability")
    initial = {}
    product = Product.objects.filter(code=request.GET.get("product", "")[:40]).first()
    if product is not None:
        initial["product"] = product.pk
    form = forms.MethodSuitabilityForm(request.POST or None, request.FILES or None, initial=initial)

    def save(d):
        upload = d.get("report")
        return services.record_method_suitability(
            actor=request.user,
            product=d["product"],
            test_type=d["test_type"],
            method=d["method"],
            method_version=d["method_version"],
            performed_on=d["performed_on"],
            outcome=d["outcome"],
            spike_recovery=d["spike_recovery"],
            notes=d["notes"],
            report=(upload.name, upload.read()) if upload else None,
        )

    done = attempt(
        request,
        form,
        save,
        success=lambda r: _("{number} recorded: awaiting QA approval.").format(number=r.number),
    )
    if done:
        return redirect(reverse("lots:suitability-detail", args=[done.result.number]))
    return render(
        request,
        "lots/suitability_record.html",
        {"form": form, "methods": selectors.known_methods()},
        status=400 if request.method == "POST" else 200,
    )
