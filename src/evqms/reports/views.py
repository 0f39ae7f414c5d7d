"""Downloads: the certificate of analysis (PDF), the one CoA URL the lot page links to; the serious-
adverse-event report (PDF) and its E2B(R3) export (JSON), linked from the adverse event's page; a
product's evidence page and its yearly report (PDF), linked from the product's page; the product's
registry export (zip of CDISC-shaped CSV, define JSON and ODM XML), from the evidence page."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from evqms import errors
from evqms.core.pdf_views import pdf_view
from evqms.core.views import page_language, require, show_refusal
from evqms.errors import InputError
from evqms.lots import selectors
from evqms.reports import coa, evidence, registry, safety
from evqms.reports.forms import RegistryExportForm


@pdf_view
def coa_pdf(request, number):
    require(request, "lots.view")
    lot = selectors.get_lot(number)
    if lot is None:
        raise Http404
    lang = request.GET.get("lang") or page_language(request)
    if lang not in coa.LANGS:
        lang = "ja"
    try:
        certificate = coa.build_coa(lot, lang)
        data = certificate.pdf()
    except InputError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    kind = "" if certificate.final else "-DRAFT"
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="CoA-{lot.number}-{lang}{kind}.pdf"'
    return response


def _safety_case(request, number):
    """The event and the report asked for (?report=SR-..., else its latest); 404 for neither."""
    require(request, "clinical.view")
    try:
        ae = safety.find_event(number)
        return ae, safety.pick_report(ae, request.GET.get("report") or None)
    except InputError as exc:
        raise Http404(str(exc)) from exc


@pdf_view
def safety_report_pdf(request, number):
    ae, report = _safety_case(request, number)
    lang = request.GET.get("lang") or page_language(request)
    if lang not in safety.LANGS:
        lang = "ja"
    document = safety.build_document(ae, report, lang)
    response = HttpResponse(document.pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response


def safety_report_e2b(request, number):
    ae, report = _safety_case(request, number)
    case = safety.e2b_case(ae, report)
    response = HttpResponse(
        json.dumps(case, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{report.number}-{ae.number}-E2B.json"'
    return response


def _evidence_product(request, code):
    require(request, "clinical.view")
    try:
        return evidence.find_product(code)
    except InputError as exc:
        raise Http404(str(exc)) from exc


def _render_evidence(request, product, *, registry_form=None, status=200):
    lang = page_language(request)
    data = evidence.written(evidence.product_evidence(product), lang)
    return render(
        request,
        "reports/evidence.html",
        {
            **data,
            "lang": lang,
            "year": timezone.localdate().year - 1,
            "registry_form": registry_form or RegistryExportForm(initial={"lang": lang}),
        },
        status=status,
    )


def evidence_page(request, code):
    """What the evidence from every administration of a product says, its yearly report and its
    registry export."""
    return _render_evidence(request, _evidence_product(request, code))


def evidence_registry(request, code):
    """The product's registry export as a zip (audited); a bad period shows the evidence page again
    with the refusal on the field it names (400)."""
    product = _evidence_product(request, code)
    form = RegistryExportForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        try:
            package = registry.export_registry(
                actor=request.user,
                product=product,
                date_from=data["from"],
                date_to=data["to"],
                lang=data["lang"] or page_language(request),
            )
        except errors.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except InputError as exc:
            show_refusal(form, exc)
        else:
            response = HttpResponse(package.data, content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{package.filename}"'
            return response
    return _render_evidence(request, product, registry_form=form, status=400)


@pdf_view
def evidence_yearly_pdf(request, code):
    product = _evidence_product(request, code)
    try:
        period = evidence.Period.year(request.GET.get("year", ""))
    except InputError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    lang = request.GET.get("lang") or page_language(request)
    if lang not in evidence.LANGS:
        lang = "ja"
    document = evidence.build_yearly(product, period, lang)
    response = HttpResponse(document.pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return response
