"""/api/v1/reports/: the registry export of a product (a zip, audited as on the evidence page)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.views import APIView

from evqms.errors import InputError
from evqms.i18n import _
from evqms.reports import registry
from evqms.reports.evidence import find_product

PERIOD_HELP = "YYYY-MM-DD; administrations from this day (inclusive); blank: no limit"


class RegistryExportView(APIView):
    """The product's registry export: DM, EX, AE, QS and SV as CSV, define.json, odm.xml (CDISC ODM
    1.3.2) and README.txt in one zip. Needs `clinical.view`; every call is an audit event."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description=PERIOD_HELP),
            OpenApiParameter("to", str, description="YYYY-MM-DD; administrations up to this day (inclusive)"),
            OpenApiParameter("lang", str, enum=["ja", "en"], description="language of README.txt"),
        ],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="the export"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="a bad period: error and where (from/to)"),
            403: OpenApiResponse(OpenApiTypes.OBJECT, description="without clinical.view"),
            404: OpenApiResponse(OpenApiTypes.OBJECT, description="no such product"),
        },
    )
    def get(self, request, code):
        try:
            product = find_product(code)
        except InputError as exc:
            raise Http404(str(exc)) from exc
        lang = request.query_params.get("lang") or "en"
        if lang not in ("ja", "en"):
            raise InputError(_("lang must be ja or en"), where="lang")
        package = registry.export_registry(
            actor=request.user,
            product=product,
            date_from=request.query_params.get("from"),
            date_to=request.query_params.get("to"),
            lang=lang,
        )
        response = HttpResponse(package.data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{package.filename}"'
        return response


urlpatterns = [
    path("reports/registry/<product:code>/", RegistryExportView.as_view(), name="api-registry-export"),
]
