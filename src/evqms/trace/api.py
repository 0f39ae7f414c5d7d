"""/api/v1/trace/: the lineage (the same JSON as `evqms trace --format json`), recalls and holds.

Reads need trace.view; every write goes through `trace.services`, which checks the role. Signed
actions (closing a recall, lifting a hold, destroying held units) take the `password` field as the
release API does. Errors: 400 bad input (a missing password), 403 role or a refused signature
(wrong password, locked account), 409 a rule (a unit still open, a hold already lifted).
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from evqms.accounts.rules import require
from evqms.audit.services import SignatureRefused
from evqms.core.api import valid_input
from evqms.errors import InputError
from evqms.i18n import _
from evqms.trace import selectors
from evqms.trace.models import Hold, Recall
from evqms.trace.selectors import active_holds_for_trace, trace
from evqms.trace.services import disposal, holds, recalls


class CanTrace(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("trace.view")


class TraceView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanTrace]

    @extend_schema(
        responses=OpenApiTypes.OBJECT, description="The lineage as `evqms trace --format json` prints it."
    )
    def get(self, request, direction: str, code: str):
        result = trace(direction, code)
        codes = request.user.has_perm(selectors.PATIENT_CODES)  # else patients are a count
        # Which lots and units are on hold, by recall or hold number: {"L1": ["RC-00001"], ...}
        return Response({**result.as_dict(patient_codes=codes), "holds": active_holds_for_trace(result)})


# --- shapes (documentation of what the views return; times are local ISO 8601 with the offset) ---

LOCAL_TIME = "local time, ISO 8601 with the offset (+09:00)"


class RecallSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    lot = serializers.CharField()
    status = serializers.ChoiceField(choices=["open", "closed"])
    status_text = serializers.CharField(help_text="the status in the reader's language")
    reason = serializers.CharField()
    initiated_by = serializers.CharField()
    initiated_at = serializers.CharField(help_text=LOCAL_TIME)
    administrations = serializers.IntegerField(help_text="administrations found when the recall was signed")
    shipped_units = serializers.IntegerField(help_text="shipped units the recall follows")
    open_units = serializers.IntegerField(
        help_text="shipped units not yet returned, destroyed or administered"
    )
    closed_at = serializers.CharField(allow_null=True, help_text=LOCAL_TIME)


class OpenUnitSerializer(serializers.Serializer):
    aliquot = serializers.CharField()
    shipment = serializers.CharField()
    consignee = serializers.CharField()
    consignee_name = serializers.CharField()
    shipped_at = serializers.CharField(help_text=LOCAL_TIME)


class HeldUnitSerializer(serializers.Serializer):
    aliquot = serializers.CharField()
    lot = serializers.CharField(required=False)
    location = serializers.CharField(allow_null=True)


class DestroyedUnitSerializer(serializers.Serializer):
    aliquot = serializers.CharField()
    location = serializers.CharField(allow_null=True, help_text="where it was stored")
    destroyed_at = serializers.CharField(help_text=LOCAL_TIME)
    destroyed_by = serializers.CharField(help_text="printed name of the signer")
    reason = serializers.CharField()


class RecipientSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["administration", "shipment"])
    kind_text = serializers.CharField()
    reference = serializers.CharField(help_text="administration or shipment number")
    at = serializers.CharField(allow_null=True, help_text=LOCAL_TIME)
    recipient = serializers.CharField(help_text="patient code (if the reader may see it) or consignee")
    place = serializers.CharField()
    contact = serializers.CharField(help_text="physician or contact person")
    aliquots = serializers.ListField(child=serializers.CharField())
    outcome = serializers.ChoiceField(choices=["open", "returned", "destroyed", "administered"])
    outcome_text = serializers.CharField()
    confirmed_by = serializers.CharField()
    confirmed_at = serializers.CharField(allow_null=True, help_text=LOCAL_TIME)
    note = serializers.CharField()


class SignatureSummarySerializer(serializers.Serializer):
    printed_name = serializers.CharField()
    meaning = serializers.CharField()
    record_hash = serializers.CharField()


class RecallDetailSerializer(RecallSummarySerializer):
    signature = SignatureSummarySerializer()
    closed_by = serializers.CharField(allow_null=True)
    close_reason = serializers.CharField()
    recipients = RecipientSerializer(many=True)
    open = OpenUnitSerializer(many=True)
    held_stock = HeldUnitSerializer(many=True)
    destroyed = DestroyedUnitSerializer(many=True)


class HoldSerializer(serializers.Serializer):
    number = serializers.CharField()
    scope = serializers.ChoiceField(choices=[s for s, _label in Hold.SCOPES])
    subject = serializers.CharField(help_text="product code, cell bank code or material lot number")
    status = serializers.ChoiceField(choices=["active", "released"])
    status_text = serializers.CharField()
    reason = serializers.CharField()
    lots = serializers.ListField(child=serializers.CharField())
    placed_by = serializers.CharField()
    placed_at = serializers.CharField(help_text=LOCAL_TIME)
    lifted_at = serializers.CharField(allow_null=True, help_text=LOCAL_TIME)
    lift_reason = serializers.CharField()


class HoldDetailSerializer(HoldSerializer):
    held_stock = HeldUnitSerializer(many=True)
    destroyed = DestroyedUnitSerializer(many=True)


# --- inputs -------------------------------------------------------------------------------------


class UnitOutcomeSerializer(serializers.Serializer):
    aliquot = serializers.CharField(help_text="container id of a shipped unit of the recall")
    outcome = serializers.ChoiceField(choices=["returned", "destroyed", "administered"])
    note = serializers.CharField(help_text="evidence: who confirmed it and how")


class SignedReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True)
    password = serializers.CharField(required=False, allow_blank=True, style={"input_type": "password"})


class DestroyHeldSerializer(SignedReasonSerializer):
    aliquots = serializers.ListField(child=serializers.CharField(), help_text="container ids on hold")


class PlaceHoldSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=[s for s, _label in Hold.SCOPES])
    code = serializers.CharField(help_text="product code, cell bank code or material lot number")
    reason = serializers.CharField(required=False, allow_blank=True)


def _signed(request, serializer_class, service, **subject) -> Response | None:
    """Run a signing service with the request's reason and password (required here, 400 without it).
    None when done; a refused signature (wrong password, locked account) answers 403."""
    data = valid_input(serializer_class, request.data)
    if not data.get("password"):
        raise InputError(_("your password is required to sign"), where="password")
    if "aliquots" in data:
        subject["aliquots"] = data["aliquots"]
    try:
        service(
            request=request._request,
            actor=request.user,
            reason=data.get("reason", ""),
            password=data["password"],
            **subject,
        )
    except SignatureRefused as exc:
        return Response({"error": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    return None


def _recall(number) -> Recall:
    recall = (
        Recall.objects.select_related("lot", "initiated_by", "signature", "close_signature")
        .filter(number=number)
        .first()
    )
    if recall is None:
        raise Http404(_("unknown recall {number}").format(number=number))
    return recall


def _hold(number) -> Hold:
    hold = Hold.objects.select_related("placed_by").filter(number=number).first()
    if hold is None:
        raise Http404(_("unknown hold {number}").format(number=number))
    return hold


def _recall_detail(request, recall) -> dict:
    codes = request.user.has_perm(selectors.PATIENT_CODES)  # the one patient-code policy
    return selectors.recall_detail(_recall(recall.number), patient_codes=codes)


STATUS = OpenApiParameter("status", str, enum=["open", "closed"], description="only open or closed recalls")


class RecallListView(APIView):
    @extend_schema(parameters=[STATUS], responses=RecallSummarySerializer(many=True))
    def get(self, request):
        require(request.user, "trace.view")
        wanted = request.query_params.get("status") or None
        if wanted not in (None, "open", "closed"):
            raise InputError(_("status is open or closed"), where="status")
        return Response([selectors.recall_summary(r) for r in selectors.recall_list(status=wanted)])


class RecallDetailView(APIView):
    @extend_schema(responses=RecallDetailSerializer)
    def get(self, request, number: str):
        require(request.user, "trace.view")
        return Response(_recall_detail(request, _recall(number)))


class RecallUnitView(APIView):
    @extend_schema(
        request=UnitOutcomeSerializer,
        responses=RecallDetailSerializer,
        description="Confirm what became of a shipped unit (returned, destroyed or administered), with the "
        "evidence. Operators and QA.",
    )
    def post(self, request, number: str):
        recall = _recall(number)
        data = valid_input(UnitOutcomeSerializer, request.data)
        recalls.close_recall_unit(
            actor=request.user,
            recall=recall,
            aliquot=data["aliquot"],
            outcome=data["outcome"],
            note=data["note"],
        )
        return Response(_recall_detail(request, recall))


class RecallDestroyHeldView(APIView):
    @extend_schema(
        request=DestroyHeldSerializer,
        responses=RecallDetailSerializer,
        description="QA destroys units in stock on hold under the recall (signed: password required).",
    )
    def post(self, request, number: str):
        recall = _recall(number)
        refused = _signed(request, DestroyHeldSerializer, disposal.destroy_held_units, source=recall)
        return refused or Response(_recall_detail(request, recall))


class RecallCloseView(APIView):
    @extend_schema(
        request=SignedReasonSerializer,
        responses=RecallDetailSerializer,
        description="QA closes the recall once no shipped unit is open (signed: password required).",
    )
    def post(self, request, number: str):
        recall = _recall(number)
        refused = _signed(request, SignedReasonSerializer, recalls.close_recall, recall=recall)
        return refused or Response(_recall_detail(request, recall))


HOLD_STATUS = OpenApiParameter(
    "status", str, enum=["active", "released"], description="only active or lifted holds"
)


class HoldListView(APIView):
    @extend_schema(parameters=[HOLD_STATUS], responses=HoldSerializer(many=True))
    def get(self, request):
        require(request.user, "trace.view")
        wanted = request.query_params.get("status") or None
        if wanted not in (None, "active", "released"):
            raise InputError(_("status is active or released"), where="status")
        return Response([selectors.hold_summary(h) for h in selectors.hold_list(status=wanted)])

    @extend_schema(
        request=PlaceHoldSerializer,
        responses={201: HoldDetailSerializer},
        description="QA holds every lot downstream of a product, a cell bank or a material lot.",
    )
    def post(self, request):
        data = valid_input(PlaceHoldSerializer, request.data)
        hold = holds.place_hold(
            actor=request.user, scope=data["scope"], code=data["code"], reason=data.get("reason", "")
        )
        return Response(selectors.hold_detail(_hold(hold.number)), status=status.HTTP_201_CREATED)


class HoldDetailView(APIView):
    @extend_schema(responses=HoldDetailSerializer)
    def get(self, request, number: str):
        require(request.user, "trace.view")
        return Response(selectors.hold_detail(_hold(number)))


class HoldLiftView(APIView):
    @extend_schema(
        request=SignedReasonSerializer,
        responses=HoldDetailSerializer,
        description="QA lifts the hold with a reason (signed: password required).",
    )
    def post(self, request, number: str):
        refused = _signed(request, SignedReasonSerializer, holds.release_hold, hold=_hold(number))
        return refused or Response(selectors.hold_detail(_hold(number)))


class HoldDestroyHeldView(APIView):
    @extend_schema(
        request=DestroyHeldSerializer,
        responses=HoldDetailSerializer,
        description="QA destroys units in stock on hold under the hold (signed: password required).",
    )
    def post(self, request, number: str):
        refused = _signed(request, DestroyHeldSerializer, disposal.destroy_held_units, source=_hold(number))
        return refused or Response(selectors.hold_detail(_hold(number)))


# Recalls and holds first: "trace/recalls/RC-00001/" would otherwise read as a trace from "recalls".
urlpatterns = [
    path("trace/recalls/", RecallListView.as_view(), name="api-recall-list"),
    path("trace/recalls/<recall:number>/", RecallDetailView.as_view(), name="api-recall-detail"),
    path("trace/recalls/<recall:number>/units/", RecallUnitView.as_view(), name="api-recall-unit"),
    path(
        "trace/recalls/<recall:number>/destroy-held/",
        RecallDestroyHeldView.as_view(),
        name="api-recall-destroy-held",
    ),
    path("trace/recalls/<recall:number>/close/", RecallCloseView.as_view(), name="api-recall-close"),
    path("trace/holds/", HoldListView.as_view(), name="api-hold-list"),
    path("trace/holds/<hold:number>/", HoldDetailView.as_view(), name="api-hold-detail"),
    path("trace/holds/<hold:number>/lift/", HoldLiftView.as_view(), name="api-hold-lift"),
    path(
        "trace/holds/<hold:number>/destroy-held/", HoldDestroyHeldView.as_view(), name="api-hold-destroy-held"
    ),
    path("trace/<str:direction>/<str:code>/", TraceView.as_view(), name="api-trace"),
]
