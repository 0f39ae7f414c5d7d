"""REST API for studies under /api/v1/studies/: NTA exports, potency assays and runs, stability
studies, biodistribution and dose-response records.

Reads need `studies.view` (any role). The one write is attaching an NTA export to a lot, through
`studies.services.attach_nta_export` like the web upload: 400 bad input, 403 role, 409 a business
rule (a lot no longer in QC, or an export with warnings not yet confirmed: the body then lists the
warnings and the stated-vs-recomputed comparison).
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from evqms.accounts.rules import require
from evqms.core.api import valid_input
from evqms.core.limits import record_id
from evqms.core.uploads import read_upload
from evqms.errors import InputError
from evqms.i18n import _
from evqms.lots.models import Lot
from evqms.studies import selectors, services
from evqms.studies import serializers as s

PRODUCT = OpenApiParameter("product", str, description="product code")
LOT = OpenApiParameter("lot", str, description="lot number")
ASSAY = OpenApiParameter("assay", int, description="potency assay id")
RECORD_ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


INT_FILTERS = {"assay"}  # filters that name a record by id


def _param(request, name):
    value = request.query_params.get(name) or None
    if name in INT_FILTERS:  # out of range or not a number: 400 naming the parameter, never a 500
        return record_id(value, name=name)
    return value


def _one(queryset, pk, message):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404(message.format(id=pk))
    return obj


class _ReadOnly(viewsets.ViewSet):
    """List (filtered by the query parameters `filters` names) and detail by id, for `studies.view`."""

    lookup_value_regex = "[0-9]+"
    what = ""  # the records, for the schema's descriptions
    filters: tuple[str, ...] = ("product",)
    list_serializer = None
    detail_serializer = None
    not_found = ""

    def query(self, **filters):
        raise NotImplementedError

    def list(self, request):
        require(request.user, "studies.view")
        qs = self.query(**{name: _param(request, name) for name in self.filters})
        return Response(self.list_serializer(qs, many=True).data)

    def retrieve(self, request, pk=None):
        require(request.user, "studies.view")
        obj = _one(self.query(), pk, self.not_found)
        return Response((self.detail_serializer or self.list_serializer)(obj).data)


def _read_schema(cls, filters):
    """Give a read-only viewset its own list and retrieve with their schema: the filters on the
    list, the id on the detail. (New functions: `extend_schema` marks the function it decorates,
    and the base class's are shared by every viewset.)"""

    def list(self, request):  # noqa: A001
        return _ReadOnly.list(self, request)

    def retrieve(self, request, pk=None):
        return _ReadOnly.retrieve(self, request, pk)

    cls.list = extend_schema(
        parameters=filters,
        responses=cls.list_serializer(many=True),
        description=f"{cls.what}, filtered by {', '.join(p.name for p in filters)}.",
    )(list)
    detail = cls.detail_serializer or cls.list_serializer
    cls.retrieve = extend_schema(
        parameters=[RECORD_ID], responses=detail, description=f"One record by id. List: {cls.what}."
    )(retrieve)
    return cls


class NTAImportViewSet(_ReadOnly):
    what = "NTA exports attached to lots, newest first"
    filters = ("product", "lot")
    list_serializer = s.NTAImportSerializer
    detail_serializer = s.NTAImportDetailSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @property
    def not_found(self):
        return _("unknown NTA export {id}")

    def query(self, **filters):
        return selectors.nta_imports(**filters)

    @extend_schema(
        request={"multipart/form-data": s.NTAUploadSerializer},
        responses={
            201: s.NTAImportDetailSerializer,
            409: OpenApiResponse(
                s.NTAWarningsSerializer, description="warnings to confirm, or a lot not in QC"
            ),
        },
        description="Attach an NTA export to a lot: its figures become the lot's QC results.",
    )
    def create(self, request):
        data = valid_input(s.NTAUploadSerializer, request.data)
        lot = Lot.objects.select_related("product", "specification").filter(number=data["lot"]).first()
        if lot is None:
            raise InputError(_("unknown lot {lot}").format(lot=data["lot"]), where="lot")
        upload = data["file"]
        try:
            nta = services.attach_nta_export(
                actor=request.user,
                lot=lot,
                filename=upload.name,
                data=read_upload(upload),  # refused above EVQMS_UPLOAD_LIMIT_MB, naming the file
                concentration_attribute=(data.get("concentration_attribute") or "").strip() or None,
                size_attributes=data.get("size_attributes") or None,
                tested_at=data.get("tested_at"),
                tested_at_reason=data.get("tested_at_reason") or "",
                dilution=data.get("dilution"),
                confirm_warnings=data["confirm_warnings"],
            )
        except services.NTAWarnings as exc:
            body = {
                "error": str(exc),
                "warnings": exc.warnings,
                "comparison": selectors.nta_comparison(exc.parsed),
            }
            return Response(s.NTAWarningsSerializer(body).data, status=status.HTTP_409_CONFLICT)
        nta = selectors.nta_imports().get(pk=nta.pk)
        return Response(s.NTAImportDetailSerializer(nta).data, status=status.HTTP_201_CREATED)


class PotencyAssayViewSet(_ReadOnly):
    what = "Potency assays"
    list_serializer = s.PotencyAssaySerializer

    @property
    def not_found(self):
        return _("unknown potency assay {id}")

    def query(self, **filters):
        return selectors.potency_assays(**filters)


class PotencyRunViewSet(_ReadOnly):
    what = "Potency runs with the relative potency and its 95% CI as stored, latest test first"
    filters = ("product", "lot", "assay")
    list_serializer = s.PotencyRunSerializer
    detail_serializer = s.PotencyRunDetailSerializer

    @property
    def not_found(self):
        return _("unknown potency run {id}")

    def query(self, product=None, lot=None, assay=None):
        # `assay` arrives checked by _param (evqms.core.limits.record_id): an id in range or None
        return selectors.potency_runs(product=product, lot=lot, assay=assay)


class StabilityStudyViewSet(_ReadOnly):
    what = "Stability studies"
    filters = ("product", "lot")
    list_serializer = s.StabilityStudySerializer
    detail_serializer = s.StabilityStudyDetailSerializer

    @property
    def not_found(self):
        return _("unknown stability study {id}")

    def query(self, **filters):
        return selectors.stability_studies(**filters)


class BiodistributionStudyViewSet(_ReadOnly):
    what = "Biodistribution study records"
    list_serializer = s.BiodistributionStudySerializer

    @property
    def not_found(self):
        return _("unknown biodistribution study {id}")

    def query(self, **filters):
        return selectors.biodistribution_studies(**filters)


class DoseResponseStudyViewSet(_ReadOnly):
    what = "Dose-response study records"
    list_serializer = s.DoseResponseStudySerializer

    @property
    def not_found(self):
        return _("unknown dose-response study {id}")

    def query(self, **filters):
        return selectors.dose_response_studies(**filters)


for _viewset, _filters in (
    (NTAImportViewSet, [PRODUCT, LOT]),
    (PotencyAssayViewSet, [PRODUCT]),
    (PotencyRunViewSet, [PRODUCT, LOT, ASSAY]),
    (StabilityStudyViewSet, [PRODUCT, LOT]),
    (BiodistributionStudyViewSet, [PRODUCT]),
    (DoseResponseStudyViewSet, [PRODUCT]),
):
    _read_schema(_viewset, _filters)


def _router():
    router = DefaultRouter(trailing_slash=True)
    router.include_root_view = False
    router.register("studies/nta", NTAImportViewSet, basename="studies-nta")
    router.register("studies/potency-assays", PotencyAssayViewSet, basename="studies-potency-assay")
    router.register("studies/potency-runs", PotencyRunViewSet, basename="studies-potency-run")
    router.register("studies/stability", StabilityStudyViewSet, basename="studies-stability")
    router.register(
        "studies/biodistribution", BiodistributionStudyViewSet, basename="studies-biodistribution"
    )
    router.register("studies/dose-response", DoseResponseStudyViewSet, basename="studies-dose-response")
    return router


urlpatterns = _router().urls
