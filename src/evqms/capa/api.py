"""/api/v1/deviations/ and /api/v1/capa/: deviations with their lots, impact and CAPA; CAPA with
their actions and effectiveness check; opening a CAPA, adding and completing actions.

Reads need deviations.view or capa.view (CAPA); every write goes through the services, which
check the role. Errors: 400 bad input, 403 role, 409 a rule (a closed CAPA, an action already done).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from evqms.accounts.rules import require
from evqms.capa import selectors, services
from evqms.capa.models import Capa, CapaAction
from evqms.core.api import valid_input
from evqms.core.timefmt import iso_local
from evqms.errors import InputError
from evqms.i18n import _
from evqms.lots.models import Deviation

LOCAL_TIME = "local time, ISO 8601 with the offset (+09:00)"


class ImpactSerializer(serializers.Serializer):
    lot = serializers.CharField()
    assessment = serializers.CharField(
        allow_null=True, help_text="no_impact, reject, rework, further_testing"
    )
    reasoning = serializers.CharField(allow_blank=True)


class DeviationSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=[s for s, _label in Deviation.STATUSES])
    source = serializers.ChoiceField(choices=[s for s, _label in Deviation.SOURCES])
    classification = serializers.CharField(allow_blank=True, help_text="minor, major, critical or empty")
    classification_rule = serializers.CharField(allow_blank=True)
    description = serializers.CharField()
    lots = serializers.ListField(child=serializers.CharField())
    material_lots = serializers.ListField(child=serializers.CharField())
    occurred_at = serializers.CharField(allow_null=True, help_text=LOCAL_TIME)
    opened_at = serializers.CharField(help_text=LOCAL_TIME)
    root_cause_category = serializers.CharField(allow_blank=True)
    investigation = serializers.CharField(allow_blank=True)
    impacts = ImpactSerializer(many=True)
    capa = serializers.ListField(child=serializers.CharField())
    closed_at = serializers.CharField(allow_null=True, help_text=LOCAL_TIME)


def _deviation(d: Deviation) -> dict:
    impacts = {i.lot_id: i for i in d.impacts.all()}
    return {
        "number": d.number,
        "status": d.status,
        "source": d.source,
        "classification": d.classification,
        "classification_rule": d.classification_rule,
        "description": d.description,
        "lots": sorted(lot.number for lot in d.affected_lots.all()),
        "material_lots": sorted(m.lot_number for m in d.affected_material_lots.all()),
        "occurred_at": iso_local(d.occurred_at) if d.occurred_at else None,
        "opened_at": iso_local(d.opened_at),
        "root_cause_category": d.root_cause_category,
        "investigation": d.investigation,
        "impacts": [
            {
                "lot": lot.number,
                "assessment": impacts[lot.pk].assessment if lot.pk in impacts else None,
                "reasoning": impacts[lot.pk].reasoning if lot.pk in impacts else "",
            }
            for lot in sorted(d.affected_lots.all(), key=lambda x: x.number)
        ],
        "capa": sorted(c.number for c in d.capas.all()),
        "closed_at": iso_local(d.closed_at) if d.closed_at else None,
    }


def _choice(request, name: str, choices) -> str:
    value = request.query_params.get(name) or ""
    if value and value not in dict(choices):
        raise InputError(_("unknown value {value}").format(value=value), where=name)
    return value


class DeviationListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=["open", "closed"]),
            OpenApiParameter("classification", str, enum=["minor", "major", "critical"]),
            OpenApiParameter("source", str, enum=[s for s, _label in Deviation.SOURCES]),
        ],
        responses=DeviationSerializer(many=True),
    )
    def get(self, request):
        require(request.user, "deviations.view")
        rows = selectors.deviation_list(
            status=_choice(request, "status", Deviation.STATUSES),
            classification=_choice(request, "classification", Deviation.CLASSIFICATIONS),
            source=_choice(request, "source", Deviation.SOURCES),
        ).prefetch_related("affected_material_lots", "impacts")[:500]
        return Response([_deviation(d) for d in rows])


class DeviationDetailView(APIView):
    @extend_schema(responses=DeviationSerializer)
    def get(self, request, number: str):
        require(request.user, "deviations.view")
        d = Deviation.objects.filter(number=number).first()
        if d is None:
            raise Http404
        return Response(_deviation(d))


class ActionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    description = serializers.CharField()
    owner = serializers.CharField(help_text="username")
    due_on = serializers.DateField()
    status = serializers.CharField(read_only=True)
    done_on = serializers.DateField(read_only=True, allow_null=True)
    evidence = serializers.CharField(read_only=True)


class CapaSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=[k for k, _label in Capa.KINDS])
    description = serializers.CharField(required=False, allow_blank=True)
    deviations = serializers.ListField(child=serializers.CharField(), required=False)
    source_reference = serializers.CharField(required=False, allow_blank=True)
    effectiveness_after_days = serializers.IntegerField(required=False, default=90)
    status = serializers.CharField(read_only=True)
    actions = ActionSerializer(many=True, read_only=True)
    effectiveness_due_on = serializers.DateField(read_only=True, allow_null=True)
    effectiveness_result = serializers.CharField(read_only=True)


def _capa(c: Capa) -> dict:
    return {
        "number": c.number,
        "title": c.title,
        "kind": c.kind,
        "description": c.description,
        "deviations": sorted(d.number for d in c.deviations.all()),
        "source_reference": c.source_reference,
        "effectiveness_after_days": c.effectiveness_after_days,
        "status": c.status,
        "actions": [
            {
                "id": a.pk,
                "description": a.description,
                "owner": a.owner.get_username(),
                "due_on": a.due_on,
                "status": a.status,
                "done_on": a.done_on,
                "evidence": a.evidence,
            }
            for a in c.actions.select_related("owner").order_by("due_on", "id")
        ],
        "effectiveness_due_on": c.effectiveness_due_on(),
        "effectiveness_result": c.effectiveness_result,
    }


def _capa_or_404(number: str) -> Capa:
    capa = Capa.objects.filter(number=number).first()
    if capa is None:
        raise Http404
    return capa


class CapaListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("show", str, enum=list(selectors.CAPA_FILTERS))],
        responses=CapaSerializer(many=True),
    )
    def get(self, request):
        require(request.user, "capa.view")
        show = request.query_params.get("show") or ""
        if show and show not in selectors.CAPA_FILTERS:
            raise InputError(_("show is open, overdue or closed"), where="show")
        return Response([_capa(c) for c in selectors.capa_list(show)[:500]])

    @extend_schema(request=CapaSerializer, responses={201: CapaSerializer})
    def post(self, request):
        data = valid_input(CapaSerializer, request.data)
        deviations = []
        for number in data.get("deviations", []):
            d = Deviation.objects.filter(number__iexact=number).first()
            if d is None:
                raise InputError(_("no deviation {number}").format(number=number), where="deviations")
            deviations.append(d)
        capa = services.create_capa(
            actor=request.user,
            title=data["title"],
            kind=data["kind"],
            description=data.get("description", ""),
            deviations=deviations,
            source_reference=data.get("source_reference", ""),
            effectiveness_after_days=data.get("effectiveness_after_days", 90),
        )
        return Response(_capa(capa), status=status.HTTP_201_CREATED)


class CapaDetailView(APIView):
    @extend_schema(responses=CapaSerializer)
    def get(self, request, number: str):
        require(request.user, "capa.view")
        return Response(_capa(_capa_or_404(number)))


class CapaActionView(APIView):
    @extend_schema(
        request=ActionSerializer, responses={201: CapaSerializer}, description="QA plans an action."
    )
    def post(self, request, number: str):
        capa = _capa_or_404(number)
        data = valid_input(ActionSerializer, request.data)
        owner = get_user_model().objects.filter(username=data["owner"], is_active=True).first()
        if owner is None:
            raise InputError(_("no active user {name}").format(name=data["owner"]), where="owner")
        services.add_action(
            actor=request.user, capa=capa, description=data["description"], owner=owner, due_on=data["due_on"]
        )
        return Response(_capa(capa), status=status.HTTP_201_CREATED)


class ActionDoneSerializer(serializers.Serializer):
    evidence = serializers.CharField()
    done_on = serializers.DateField(required=False, allow_null=True)


class CapaActionDoneView(APIView):
    @extend_schema(
        request=ActionDoneSerializer,
        responses=CapaSerializer,
        description="The owner (or QA) records it done.",
    )
    def post(self, request, number: str, action_id: int):
        capa = _capa_or_404(number)
        action = CapaAction.objects.filter(capa=capa, pk=action_id).first()
        if action is None:
            raise Http404
        data = valid_input(ActionDoneSerializer, request.data)
        services.complete_action(
            actor=request.user, action=action, evidence=data["evidence"], done_on=data.get("done_on")
        )
        return Response(_capa(capa))


urlpatterns = [
    path("deviations/", DeviationListView.as_view(), name="api-deviation-list"),
    path("deviations/<deviation:number>/", DeviationDetailView.as_view(), name="api-deviation-detail"),
    path("capa/", CapaListView.as_view(), name="api-capa-list"),
    path("capa/<capa:number>/", CapaDetailView.as_view(), name="api-capa-detail"),
    path("capa/<capa:number>/actions/", CapaActionView.as_view(), name="api-capa-actions"),
    path(
        "capa/<capa:number>/actions/<int:action_id>/done/",
        CapaActionDoneView.as_view(),
        name="api-capa-action-done",
    ),
]
