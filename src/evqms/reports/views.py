"""Download of the certificate of analysis (PDF), the one CoA URL the lot page links to."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from evqms.core.pdf_views import pdf_view
from evqms.core.views import page_language, require
from evqms.errors import InputError
from evqms.lots import selectors
from evqms.reports import coa


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
