"""REST API for lots under /api/v1/: lots, QC results, release and rejection.

Serializers only check the shape of the input; every write goes through `lots.services`.
Errors: 400 bad input (InputError, a missing password), 403 role or a refused signature (wrong
password, locked account, separation of duties), 409 a business rule (e.g. the release gate).
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from evqms.accounts.rules import require
from evqms.audit.services import SignatureRefused
from evqms.core import identifiers
from evqms.core.api import valid_input
from evqms.core.timefmt import for_json
from evqms.core.uploads import validate_upload_size
from evqms.dossier.models import CellBank, ProcessDefinition, Product, Specification
from evqms.equipment import selectors as equipment
from evqms.errors import InputError
from evqms.i18n import _
from evqms.lots import display, selectors, services
from evqms.lots.models import QCResult


class LotSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    product = serializers.CharField(source="product.code")
    status = serializers.CharField()
    process_version = serializers.IntegerField(source="process.version")
    specification_version = serializers.IntegerField(source="specification.version")
    cell_bank = serializers.CharField(source="cell_bank.code")
    manufactured_on = serializers.DateField()
    expiry = serializers.DateField(allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)


class LotCreateSerializer(serializers.Serializer):
    product = serializers.CharField(help_text="product code")
    process_version = serializers.IntegerField()
    specification_version = serializers.IntegerField()
    cell_bank = serializers.CharField(help_text="cell bank code")
    number = serializers.CharField(max_length=60)
    manufactured_on = serializers.DateField()
    expiry = serializers.DateField(required=False, allow_null=True)
    volume_ml = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text='decimal, as text; a censored result with its sign: "<0.05", ">1000"',
    )
    notes = serializers.CharField(required=False, allow_blank=True)


def _instrument(identifier: str):
    """The instrument named by its identifier, or None when empty; unknown is a 400 on the field."""
    if not (identifier or "").strip():
        return None
    found = equipment.find_instrument(identifier)
    if found is None:
        raise InputError(
            _("unknown instrument {identifier}").format(identifier=identifier), where="instrument"
        )
    return found


class QCResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    attribute = serializers.CharField(source="attribute.code")
    censor = serializers.CharField(
        help_text='"" for a measured value; "<" or ">" for a censored one, whose bound is `value`'
    )
    value = serializers.DecimalField(max_digits=30, decimal_places=10, allow_null=True, coerce_to_string=True)
    unit = serializers.CharField()
    reported_value = serializers.DecimalField(max_digits=30, decimal_places=10, allow_null=True)
    shown = serializers.SerializerMethodField(help_text='the result as printed: "< 0.05 ng/dose"')
    text_value = serializers.CharField()
    method = serializers.CharField()
    limits = serializers.JSONField()
    verdict = serializers.CharField()
    status = serializers.CharField()
    invalidation_reason = serializers.CharField()
    retest_of = serializers.IntegerField(source="retest_of_id", allow_null=True)
    analyst = serializers.CharField(source="analyst.username")
    verified_by = serializers.CharField(source="verified_by.username", allow_null=True, default=None)
    tested_at = serializers.DateTimeField()
    raw_file_name = serializers.CharField()
    raw_file_sha256 = serializers.CharField()
    instrument = serializers.CharField(source="instrument.identifier", allow_null=True, default=None)
    run_controls = serializers.SerializerMethodField()

    def get_run_controls(self, result) -> dict | None:
        from evqms.lots.records import run_controls_record
        from evqms.lots.selectors.microbiology import controls_of

        controls = controls_of(result)
        return for_json(run_controls_record(controls)) if controls is not None else None

    def get_shown(self, result) -> str:
        fields = ("text_value", "limits", "reported_value", "value_in_spec_unit", "unit", "censor")
        return display.result_text({name: getattr(result, name) for name in fields})


class QCResultCreateSerializer(serializers.Serializer):
    attribute = serializers.CharField(help_text="attribute code in the lot's specification")
    value = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text='decimal, as text; a censored result with its sign: "<0.05", ">1000"',
    )
    unit = serializers.CharField(required=False, allow_blank=True)
    text_value = serializers.CharField(required=False, allow_blank=True)
    method = serializers.CharField(required=False, allow_blank=True)
    tested_at = serializers.DateTimeField()
    retest_of = serializers.IntegerField(required=False, allow_null=True)
    raw_file = serializers.FileField(required=False, validators=[validate_upload_size])
    instrument = serializers.CharField(
        required=False, allow_blank=True, help_text="identifier of the instrument used (equipment register)"
    )
    positive_control = serializers.CharField(
        required=False, allow_blank=True, help_text="sterility, mycoplasma: detected | not detected"
    )
    negative_control = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="sterility, endotoxin, mycoplasma: detected | not detected",
    )
    positive_recovery = serializers.CharField(
        required=False, allow_blank=True, help_text="endotoxin: positive product control spike recovery, %"
    )


class MethodSuitabilitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    product = serializers.CharField(source="product.code")
    test_type = serializers.CharField()
    method = serializers.CharField()
    method_version = serializers.CharField()
    performed_on = serializers.DateField()
    analyst = serializers.CharField(source="analyst.username")
    outcome = serializers.CharField()
    spike_recovery_pct = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    report_name = serializers.CharField()
    report_sha256 = serializers.CharField()
    status = serializers.CharField()
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True, default=None)
    approved_at = serializers.DateTimeField(allow_null=True)


class MethodSuitabilityCreateSerializer(serializers.Serializer):
    product = serializers.CharField(help_text="product code")
    test_type = serializers.ChoiceField(choices=["sterility", "endotoxin", "mycoplasma"])
    method = serializers.CharField()
    method_version = serializers.CharField(required=False, allow_blank=True)
    performed_on = serializers.DateField()
    outcome = serializers.ChoiceField(choices=["suitable", "not_suitable"])
    spike_recovery = serializers.CharField(required=False, allow_blank=True, help_text="endotoxin: %")
    notes = serializers.CharField(required=False, allow_blank=True)
    report = serializers.FileField(required=False, validators=[validate_upload_size])


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True)


class SigningSerializer(serializers.Serializer):
    password = serializers.CharField(required=False, allow_blank=True, style={"input_type": "password"})
    reason = serializers.CharField(required=False, allow_blank=True)


class VerifyManySerializer(serializers.Serializer):
    results = serializers.ListField(child=serializers.IntegerField(min_value=1), help_text="QC result ids")
    password = serializers.CharField(required=False, allow_blank=True, style={"input_type": "password"})
    meaning = serializers.CharField(required=False, default="verification", help_text='only "verification"')


class VerifyRefusedSerializer(serializers.Serializer):
    error = serializers.CharField()
    refused = serializers.ListField(child=serializers.DictField())


def _lot_or_404(number):
    lot = selectors.get_lot(number)
    if lot is None:
        raise Http404(_("unknown lot {lot}").format(lot=number))
    return lot


class LotViewSet(viewsets.ViewSet):
    lookup_field = "number"
    lookup_value_regex = identifiers.rule("lot").pattern  # as the web's <lot:number>
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str),
            OpenApiParameter("product", str),
            OpenApiParameter("search", str),
        ],
        responses=LotSummarySerializer(many=True),
    )
    def list(self, request):
        require(request.user, "lots.view")
        qs = selectors.lot_list(
            status=request.query_params.get("status"),
            product=request.query_params.get("product"),
            search=request.query_params.get("search"),
        )
        return Response(LotSummarySerializer(qs, many=True).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request, number=None):
        require(request.user, "lots.view")
        return Response(for_json(selectors.lot_detail(_lot_or_404(number))))  # times local, with offset

    @extend_schema(request=LotCreateSerializer, responses={201: LotSummarySerializer})
    def create(self, request):
        data = valid_input(LotCreateSerializer, request.data)
        product = Product.objects.filter(code=data["product"]).first()
        if product is None:
            raise InputError(_("unknown product {code}").format(code=data["product"]), where="product")
        process = ProcessDefinition.objects.filter(product=product, version=data["process_version"]).first()
        if process is None:
            raise InputError(
                _("no process v{version}").format(version=data["process_version"]), where="process_version"
            )
        spec = Specification.objects.filter(product=product, version=data["specification_version"]).first()
        if spec is None:
            raise InputError(
                _("no specification v{version}").format(version=data["specification_version"]),
                where="specification_version",
            )
        bank = CellBank.objects.filter(code=data["cell_bank"]).first()
        if bank is None:
            raise InputError(_("unknown cell bank {code}").format(code=data["cell_bank"]), where="cell_bank")
        lot = services.create_lot(
            actor=request.user,
            product=product,
            process=process,
            specification=spec,
            cell_bank=bank,
            number=data["number"],
            manufactured_on=data["manufactured_on"],
            expiry=data.get("expiry"),
            volume_ml=data.get("volume_ml") or None,
            notes=data.get("notes", ""),
        )
        return Response(LotSummarySerializer(lot).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=QCResultSerializer(many=True))
    @extend_schema(methods=["POST"], request=QCResultCreateSerializer, responses={201: QCResultSerializer})
    @action(detail=True, methods=["get", "post"], url_path="results")
    def results(self, request, number=None):
        lot = _lot_or_404(number)
        if request.method == "GET":
            require(request.user, "lots.view")
            qs = QCResult.objects.filter(lot=lot).select_related(
                "attribute", "analyst", "verified_by", "instrument"
            )
            return Response(QCResultSerializer(qs, many=True).data)
        data = valid_input(QCResultCreateSerializer, request.data)
        attribute = lot.specification.attributes.filter(code=data["attribute"]).first()
        if attribute is None:
            raise InputError(
                _("unknown attribute {code} in specification v{version}").format(
                    code=data["attribute"], version=lot.specification.version
                ),
                where="attribute",
            )
        retest_of = None
        if data.get("retest_of"):
            retest_of = QCResult.objects.filter(pk=data["retest_of"], lot=lot).first()
            if retest_of is None:
                raise InputError(
                    _("no result {id} for this lot").format(id=data["retest_of"]), where="retest_of"
                )
        result = services.record_qc_result(
            actor=request.user,
            lot=lot,
            attribute=attribute,
            value=data.get("value") or None,
            unit=data.get("unit", ""),
            text_value=data.get("text_value", ""),
            method=data.get("method", ""),
            tested_at=data["tested_at"],
            raw_file=data.get("raw_file"),
            retest_of=retest_of,
            instrument=_instrument(data.get("instrument", "")),
            controls={
                key: data.get(key, "")
                for key in ("positive_control", "negative_control", "positive_recovery")
            },
        )
        return Response(QCResultSerializer(result).data, status=status.HTTP_201_CREATED)

    def _dispose(self, request, number, release: bool):
        lot = _lot_or_404(number)
        data = valid_input(SigningSerializer, request.data)
        if not data.get("password"):
            raise InputError(_("your password is required to sign"), where="password")
        func = services.release_lot if release else services.reject_lot
        try:
            lot = func(
                request=request._request,
                actor=request.user,
                lot=lot,
                password=data["password"],
                reason=data.get("reason", ""),
            )
        except SignatureRefused as exc:
            return Response({"error": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        except services.ReleaseBlocked as exc:
            return Response(
                {"error": str(exc), "problems": [p.to_dict() for p in exc.problems]},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(LotSummarySerializer(lot).data)

    @extend_schema(request=SigningSerializer, responses={200: LotSummarySerializer})
    @action(detail=True, methods=["post"])
    def release(self, request, number=None):
        return self._dispose(request, number, release=True)

    @extend_schema(request=SigningSerializer, responses={200: LotSummarySerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, number=None):
        return self._dispose(request, number, release=False)


RESULT_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="QC result id")


class QCResultViewSet(viewsets.ViewSet):
    lookup_value_regex = "[0-9]+"

    @extend_schema(parameters=[RESULT_ID], responses=QCResultSerializer)
    def retrieve(self, request, pk=None):
        require(request.user, "lots.view")
        result = get_object_or_404(
            QCResult.objects.select_related("attribute", "analyst", "verified_by"), pk=pk
        )
        return Response(QCResultSerializer(result).data)

    @extend_schema(parameters=[RESULT_ID], request=ReasonSerializer, responses=QCResultSerializer)
    @action(detail=True, methods=["post"])
    def invalidate(self, request, pk=None):
        result = get_object_or_404(QCResult, pk=pk)
        data = valid_input(ReasonSerializer, request.data)
        result = services.invalidate_qc_result(
            actor=request.user, result=result, reason=data.get("reason", "")
        )
        return Response(QCResultSerializer(result).data)

    @extend_schema(parameters=[RESULT_ID], request=None, responses=QCResultSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        result = get_object_or_404(QCResult, pk=pk)
        result = services.verify_qc_result(actor=request.user, result=result)
        return Response(QCResultSerializer(result).data)

    @extend_schema(
        operation_id="qc_results_verify_many",
        request=VerifyManySerializer,
        responses={200: QCResultSerializer(many=True), 409: VerifyRefusedSerializer},
        description="Verify several QC results with one signature (the password once, meaning "
        '"verification"): each result gets its own verification, signature and audit events; if any '
        "may not be verified by this person, none is and `refused` names each (409).",
    )
    @action(detail=False, methods=["post"], url_path="verify")
    def verify_many(self, request):
        data = valid_input(VerifyManySerializer, request.data)
        if not data.get("password"):
            raise InputError(_("your password is required to sign"), where="password")
        try:
            results = services.verify_qc_results(
                request=request._request,
                actor=request.user,
                result_ids=data["results"],
                password=data["password"],
                meaning=data["meaning"],
            )
        except services.QCVerificationsRefused as exc:
            refused = [{"id": pk, "reason": why} for pk, why in exc.refusals]
            return Response({"error": str(exc), "refused": refused}, status=status.HTTP_409_CONFLICT)
        except SignatureRefused as exc:
            return Response({"error": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(QCResultSerializer(results, many=True).data)


SUITABILITY_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="method suitability id")


class MethodSuitabilityViewSet(viewsets.ViewSet):
    """Method suitability of sterility, endotoxin and mycoplasma methods per product: QC records,
    QA approves with the password (a signature)."""

    lookup_value_regex = "[0-9]+"
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(responses=MethodSuitabilitySerializer(many=True))
    def list(self, request):
        from evqms.lots.selectors import microbiology

        require(request.user, "lots.view")
        return Response(MethodSuitabilitySerializer(microbiology.suitability_list()[:1000], many=True).data)

    @extend_schema(parameters=[SUITABILITY_ID], responses=MethodSuitabilitySerializer)
    def retrieve(self, request, pk=None):
        from evqms.lots.selectors import microbiology

        require(request.user, "lots.view")
        record = microbiology.get_suitability(int(pk))
        if record is None:
            raise Http404
        return Response(MethodSuitabilitySerializer(record).data)

    @extend_schema(request=MethodSuitabilityCreateSerializer, responses={201: MethodSuitabilitySerializer})
    def create(self, request):
        from evqms.lots.services import microbiology

        data = valid_input(MethodSuitabilityCreateSerializer, request.data)
        product = Product.objects.filter(code=data["product"]).first()
        if product is None:
            raise InputError(_("unknown product {code}").format(code=data["product"]), where="product")
        upload = data.get("report")
        record = microbiology.record_method_suitability(
            actor=request.user,
            product=product,
            test_type=data["test_type"],
            method=data["method"],
            method_version=data.get("method_version", ""),
            performed_on=data["performed_on"],
            outcome=data["outcome"],
            spike_recovery=data.get("spike_recovery", ""),
            notes=data.get("notes", ""),
            report=(upload.name, upload.read()) if upload else None,
        )
        return Response(MethodSuitabilitySerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[SUITABILITY_ID], request=SigningSerializer, responses=MethodSuitabilitySerializer
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        from evqms.lots.models import MethodSuitability
        from evqms.lots.services import microbiology

        record = get_object_or_404(MethodSuitability, pk=pk)
        data = valid_input(SigningSerializer, request.data)
        if not data.get("password"):
            raise InputError(_("your password is required to sign"), where="password")
        try:
            record = microbiology.approve_method_suitability(
                request=request._request,
                actor=request.user,
                record=record,
                password=data["password"],
                reason=data.get("reason", ""),
            )
        except SignatureRefused as exc:
            return Response({"error": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(MethodSuitabilitySerializer(record).data)


def _router():
    router = DefaultRouter(trailing_slash=True)
    router.include_root_view = False
    router.register("lots", LotViewSet, basename="lots-lot")
    router.register("qc-results", QCResultViewSet, basename="lots-qc-result")
    router.register("method-suitability", MethodSuitabilityViewSet, basename="lots-method-suitability")
    return router


urlpatterns = _router().urls
