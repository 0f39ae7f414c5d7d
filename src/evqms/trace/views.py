"""Trace pages: a lineage drawn as layered columns (inline SVG), the recall action and its exports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods

from evqms import errors
from evqms.core import identifiers
from evqms.core.pdf_views import pdf_view
from evqms.i18n import _
from evqms.lots.models import Lot
from evqms.trace import exports, forms, graph, selectors, services
from evqms.trace.models import Recall
from evqms.trace.queries import DIRECTIONS


def _need(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def index(request):
    _need(request, "trace.view")
    direction, code = request.GET.get("direction", ""), identifiers.normalise(request.GET.get("code", ""))
    error = None
    if direction in DIRECTIONS and code:
        try:
            return redirect(reverse("trace:trace", args=[direction, code]))
        except NoReverseMatch:  # not an identifier any record can have
            error = _("no {kind} {code} was found").format(kind=selectors.direction_labels()[direction], code=code)
    return render(
        request,
        "trace/index.html",
        {
            "directions": selectors.direction_labels(),
            "recalls": Recall.objects.select_related("lot")[:50],
            "error": error,
        },
        status=404 if error else 200,
    )


def trace_page(request, direction: str, code: str):
    _need(request, "trace.view")
    if direction not in DIRECTIONS:
        raise Http404
    try:
        result = selectors.trace(direction, code)
    except errors.InputError as exc:
        return render(
            request,
            "trace/index.html",
            {
                "directions": selectors.direction_labels(),
                "error": str(exc),
                "recalls": [],
            },
            status=404,
        )
    lots = result.of("lot")
    recallable = [lot for lot in lots if lot.status in services.RECALLABLE]
    return render(
        request,
        "trace/trace.html",
        {
            "result": result,
            "graph": graph.layout(result),
            "labels": selectors.kind_labels(),
            "direction_label": selectors.direction_labels()[direction],
            "sections": [
                (k, selectors.kind_labels()[k], result.of(k)) for k in selectors.KIND_ORDER if result.of(k)
            ],
            "recipients": result.recipients(),
            "recallable": recallable,
            "can_recall": request.user.has_perm("trace.recall"),
        },
    )


@require_http_methods(["GET", "POST"])
def recall(request, lot: str):
    _need(request, "trace.recall")
    found = Lot.objects.filter(number=lot).first()
    if found is None:
        raise Http404
    form = forms.RecallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.recall_lot(
                request=request,
                actor=request.user,
                lot=found,
                reason=form.cleaned_data["reason"],
                password=form.cleaned_data["password"],
            )
        except (errors.InputError, errors.RuleViolation, errors.PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Lot {lot} is recalled.").format(lot=found.number))
            return redirect(reverse("trace:recall-detail", args=[done.number]))
    preview = selectors.trace("lot", found.number).recipients()
    return render(request, "trace/recall_form.html", {"lot": found, "form": form, "recipients": preview})


def _recall_or_404(number: str) -> Recall:
    recall = Recall.objects.select_related("lot", "initiated_by", "signature").filter(number=number).first()
    if recall is None:
        raise Http404
    return recall


def recall_detail(request, number: str):
    _need(request, "trace.view")
    recall = _recall_or_404(number)
    recipients = [
        {**r, "administered_at": parse_datetime(r["administered_at"]) if r["administered_at"] else None}
        for r in recall.recipients
    ]
    return render(request, "trace/recall_detail.html", {"recall": recall, "recipients": recipients})


def recall_csv(request, number: str):
    _need(request, "trace.view")
    recall = _recall_or_404(number)
    response = HttpResponse(exports.recall_csv(recall), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{recall.number}-{recall.lot.number}.csv"'
    return response


@pdf_view
def recall_pdf(request, number: str):
    _need(request, "trace.view")
    recall = _recall_or_404(number)
    response = HttpResponse(exports.recall_pdf(recall), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{recall.number}-{recall.lot.number}.pdf"'
    return response
