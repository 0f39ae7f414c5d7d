"""The pages that read lots: the list, creation, the lot page and a QC result's raw file."""

from __future__ import annotations

import io

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from evqms.core.canonical import sha256_hex
from evqms.core.views import attempt, require
from evqms.dossier.models import Product
from evqms.lots import forms, selectors, services
from evqms.lots.listings import LOTS
from evqms.lots.models import LOT_STATUSES, QCResult
from evqms.lots.views.lot_page import render_lot


def lot_or_404(number: str):
    lot = selectors.get_lot(number)
    if lot is None:
        raise Http404
    return lot


def detail_url(lot) -> str:
    return reverse("lots:lot-detail", args=[lot.number])


def lot_list(request):
    require(request, "lots.view")
    filters = {k: request.GET.get(k, "").strip() for k in ("status", "product", "q")}
    qs = selectors.lot_list(
        status=filters["status"] or None, product=filters["product"] or None, search=filters["q"] or None
    )
    table = LOTS.table(request, qs)
    if table.export_format:
        return table.export()
    page = Paginator(table.rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "lots/lot_list.html",
        {
            "page": page,
            "table": table,
            "filters": filters,
            "statuses": LOT_STATUSES,
            "products": Product.objects.order_by("code"),
            "can_create": request.user.has_perm("lots.create_lot"),
        },
    )


@require_http_methods(["GET", "POST"])
def lot_create(request):
    require(request, "lots.create_lot")
    form = forms.LotCreateForm(request.POST or None)

    def create(data):
        return services.create_lot(actor=request.user, **data)

    created = attempt(
        request, form, create, success=lambda lot: _("Lot {lot} created.").format(lot=lot.number)
    )
    if created:
        return redirect(detail_url(created.result))
    return render(request, "lots/lot_create.html", {"form": form}, status=400 if form.errors else 200)


def lot_detail(request, number):
    require(request, "lots.view")
    return render_lot(request, lot_or_404(number))


def qc_raw_file(request, number, result_id):
    """The instrument file a QC result was recorded from, as kept, only while it matches its recorded hash."""
    require(request, "lots.view")
    result = QCResult.objects.filter(lot=lot_or_404(number), pk=result_id).first()
    if result is None or not result.raw_file:
        raise Http404(_("this QC result has no raw file"))
    try:
        with result.raw_file.open("rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise Http404(_("the raw file of this QC result is missing from storage")) from None
    if sha256_hex(data) != result.raw_file_sha256:
        # Serving an altered original would defeat the point of keeping it with its hash.
        return HttpResponse(
            _("the stored raw file no longer matches the SHA-256 recorded with the result"),
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    name = result.raw_file_name or result.raw_file.name.rsplit("/", 1)[-1]
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=name)
