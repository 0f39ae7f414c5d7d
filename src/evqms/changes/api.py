"""/api/v1/changes/: change requests, read and moved through their steps.

Reads need changes.view; every write goes through `changes.services`, which checks the role.
Approval and closure are signed: they take the `password` field. Errors: 400 bad input, 403 role
or a refused signature, 409 a step out of order (approving an approved change, closing with a
version still a draft).
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from evqms.accounts.rules import require
from evqms.audit.services import SignatureRefused
from evqms.changes import selectors, services
from evqms.changes.models import KINDS, STATUSES
from evqms.core.api import valid_input
from evqms.core.timefmt import to_local
from evqms.errors import InputError
from evqms.i18n import _


def _iso(value):
    return to_local(value).isoformat() if value else None


def change_summary(cr) -> dict:
    return {
        "number": cr.number,
        "kind": cr.kind,
        "title": cr.title,
        "description": cr.description,
        "product_code": cr.product_code,
        "impact_assessment": cr.impact_assessment,
        "quality_impact": cr.quality_impact,
        "comparability_plan": cr.comparability_plan,
        "status": cr.status,
        "status_text": str(cr.get_status_display()),
        "opened_by": cr.opened_by.signature_name(),
        "opened_at": _iso(cr.opened_at),
        "approved_at": _iso(cr.approved_at),
        "implemented_at": _iso(cr.implemented_at),
        "implementation_summary": cr.implementation_summary,
        "closed_at": _iso(cr.closed_at),
        "versions": [
            {"record": str(v), "status": v.status}
            for relation in ("process_versions", "specification_versions")
            for v in getattr(cr, relation).select_related("product")
        ],
    }


class ChangeSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=KINDS)
    title = serializers.CharField()
    description = serializers.CharField()
    product_code = serializers.CharField()
    impact_assessment = serializers.CharField()
    quality_impact = serializers.BooleanField()
    comparability_plan = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES)
    status_text = serializers.CharField()
    opened_by = serializers.CharField()
    opened_at = serializers.CharField(help_text="local time, ISO 8601 with the offset")
    approved_at = serializers.CharField(allow_null=True)
    implemented_at = serializers.CharField(allow_null=True)
    implementation_summary = serializers.CharField()
    closed_at = serializers.CharField(allow_null=True)
    versions = serializers.ListField(child=serializers.DictField())


class ProposeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    product_code = serializers.CharField(required=False, allow_blank=True, default="")
    impact_assessment = serializers.CharField(required=False, allow_blank=True, default="")
    quality_impact = serializers.BooleanField(required=False, default=False)
    comparability_plan = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeStepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=["assess", "approve", "reject", "implement", "close"])
    password = serializers.CharField(
        required=False, allow_blank=True, default="", style={"input_type": "password"}
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    impact_assessment = serializers.CharField(required=False, allow_blank=True, default="")
    quality_impact = serializers.BooleanField(required=False, default=False)
    comparability_plan = serializers.CharField(required=False, allow_blank=True, default="")


def _change(number: str):
    cr = selectors.change_request(number)
    if cr is None:
        raise Http404
    return cr


class ChangeListView(APIView):
    @extend_schema(responses=ChangeSerializer(many=True))
    def get(self, request):
        require(request.user, "changes.view")
        wanted = request.query_params.get("status", "")
        if wanted and wanted != "open" and wanted not in dict(STATUSES):
            raise InputError(_("unknown status {status}").format(status=wanted), where="status")
        return Response([change_summary(cr) for cr in selectors.change_requests(status=wanted)])

    @extend_schema(request=ProposeSerializer, responses={201: ChangeSerializer})
    def post(self, request):
        cr = services.propose_change(actor=request.user, **valid_input(ProposeSerializer, request.data))
        return Response(change_summary(cr), status=status.HTTP_201_CREATED)


class ChangeDetailView(APIView):
    @extend_schema(responses=ChangeSerializer)
    def get(self, request, number: str):
        require(request.user, "changes.view")
        return Response(change_summary(_change(number)))

    @extend_schema(
        request=ChangeStepSerializer,
        responses=ChangeSerializer,
        operation_id="changes_step",
        description="The next step: assess, approve or close (signed: password), reject, implement.",
    )
    def post(self, request, number: str):
        cr = _change(number)
        data = valid_input(ChangeStepSerializer, request.data)
        step = data["step"]
        if step in ("approve", "close") and not data["password"]:
            raise InputError(_("your password is required to sign"), where="password")
        try:
            if step == "assess":
                services.assess_change(
                    actor=request.user,
                    change_request=cr,
                    impact_assessment=data["impact_assessment"],
                    quality_impact=data["quality_impact"],
                    comparability_plan=data["comparability_plan"],
                )
            elif step == "approve":
                services.approve_change(
                    request=request._request,
                    actor=request.user,
                    change_request=cr,
                    password=data["password"],
                    reason=data["reason"],
                )
            elif step == "reject":
                services.reject_change(actor=request.user, change_request=cr, reason=data["reason"])
            elif step == "implement":
                services.record_implementation(actor=request.user, change_request=cr, summary=data["summary"])
            else:
                services.close_change(
                    request=request._request,
                    actor=request.user,
                    change_request=cr,
                    password=data["password"],
                    reason=data["reason"],
                )
        except SignatureRefused as exc:
            return Response({"error": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(change_summary(_change(number)))


urlpatterns = [
    path("changes/", ChangeListView.as_view(), name="api-change-list"),
    path("changes/<change_request:number>/", ChangeDetailView.as_view(), name="api-change-detail"),
]
