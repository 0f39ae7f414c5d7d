"""/api/v1/environment/: sampling points, the limits in force, samples (list, detail) and
results recorded from an instrument or a LIMS. Writes go through `environment.services`, which
checks the role; errors are 400 (bad input), 403 (role) and 409 (a rule: a sample already taken)."""

from __future__ import annotations

from django.http import Http404
from django.urls import include, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import routers, serializers, status, viewsets
from rest_framework.response import Response

from evqms.accounts.rules import require
from evqms.core.timefmt import iso_local
from evqms.environment import limits as L
from evqms.environment import selectors, services
from evqms.environment.models import Sample, SamplingPoint
from evqms.errors import InputError
from evqms.i18n import _

LOCAL_TIME = "local time, ISO 8601 with the offset (+09:00)"


class PointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    room = serializers.CharField(source="room.code")
    grade = serializers.CharField(source="room.grade")
    location = serializers.CharField()
    methods = serializers.ListField(child=serializers.ChoiceField(choices=L.METHODS))
    active = serializers.BooleanField()


class LimitSerializer(serializers.Serializer):
    grade = serializers.CharField()
    method = serializers.CharField()
    occupancy = serializers.CharField()
    alert = serializers.CharField(allow_null=True, help_text="null: none")
    action = serializers.CharField(allow_null=True, help_text="null: none (not predetermined)")
    unit = serializers.CharField()
    alert_source = serializers.CharField(help_text="annex1 or site")
    action_source = serializers.CharField(help_text="annex1 or site")
    action_reference = serializers.DictField(child=serializers.CharField())


class SampleSerializer(serializers.Serializer):
    number = serializers.CharField()
    point = serializers.CharField(source="point.code")
    room = serializers.CharField(source="point.room.code")
    method = serializers.CharField()
    occupancy = serializers.CharField()
    due_on = serializers.DateField()
    status = serializers.CharField(help_text="due, taken or missed")
    missed_reason = serializers.CharField()
    value = serializers.DecimalField(max_digits=20, decimal_places=3, allow_null=True)
    unit = serializers.SerializerMethodField()
    sampled_at = serializers.SerializerMethodField(help_text=LOCAL_TIME)
    verdict = serializers.CharField(help_text="within, alert, action or no_limit; empty until taken")
    limits = serializers.JSONField(help_text="the limit the result was judged against, as frozen then")
    deviation = serializers.CharField(source="deviation.number", default=None)

    def get_unit(self, obj) -> str:
        return L.method_unit(obj.method)

    def get_sampled_at(self, obj) -> str | None:
        return iso_local(obj.sampled_at) if obj.sampled_at else None


class ResultSerializer(serializers.Serializer):
    sample = serializers.CharField(
        required=False, help_text="a due sample's number; or give point and method"
    )
    point = serializers.CharField(required=False, help_text="sampling point code")
    method = serializers.ChoiceField(choices=L.METHODS, required=False)
    state = serializers.ChoiceField(choices=("at_rest", "in_operation"), default="in_operation")
    sampled_at = serializers.DateTimeField(help_text="with its zone")
    count = serializers.IntegerField(required=False, min_value=0)
    exposure_minutes = serializers.IntegerField(required=False, min_value=1)
    volume_litres = serializers.DecimalField(required=False, max_digits=10, decimal_places=2)
    particles_per_m3 = serializers.IntegerField(required=False, min_value=0)


class PointViewSet(viewsets.ViewSet):
    @extend_schema(responses=PointSerializer(many=True))
    def list(self, request):
        require(request.user, "environment.view")
        return Response(PointSerializer(selectors.points(), many=True).data)


class LimitViewSet(viewsets.ViewSet):
    @extend_schema(
        responses=LimitSerializer(many=True), description="Every limit in force now, with its source."
    )
    def list(self, request):
        require(request.user, "environment.view")
        return Response(LimitSerializer(selectors.limits_table(), many=True).data)


class SampleViewSet(viewsets.ViewSet):
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9-]+"

    def _qs(self):
        return Sample.objects.select_related("point__room", "deviation").order_by("-due_on", "number")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="due, taken or missed"),
            OpenApiParameter("point", str, description="sampling point code"),
        ],
        responses=SampleSerializer(many=True),
    )
    def list(self, request):
        require(request.user, "environment.view")
        qs = self._qs()
        if request.query_params.get("status"):
            qs = qs.filter(status=request.query_params["status"])
        if request.query_params.get("point"):
            qs = qs.filter(point__code__iexact=request.query_params["point"])
        return Response(SampleSerializer(qs[:1000], many=True).data)

    @extend_schema(responses=SampleSerializer)
    def retrieve(self, request, number=None):
        require(request.user, "environment.view")
        found = self._qs().filter(number=number).first()
        if found is None:
            raise Http404(_("unknown sample {number}").format(number=number))
        return Response(SampleSerializer(found).data)

    @extend_schema(
        request=ResultSerializer,
        responses={201: SampleSerializer},
        description="Record a result (QC analysts): for a due sample, or at a point (a sample due there that "
        "day is fulfilled). Judged against the limit in force at sampled_at; an action-level result opens a "
        "deviation naming the lots made in the room that day. 409 when the sample was already taken or missed.",
    )
    def create(self, request):
        s = ResultSerializer(data=request.data)
        if not s.is_valid():
            field, messages = next(iter(s.errors.items()))
            raise InputError(" ".join(str(m) for m in messages), where=field)
        d = dict(s.validated_data)
        point = None
        if not d.get("sample"):
            code = (d.get("point") or "").strip()
            point = SamplingPoint.objects.select_related("room").filter(code__iexact=code).first()
            if point is None:
                raise InputError(_("unknown sampling point {code}").format(code=code or "—"), where="point")
        sample = services.record_result(
            actor=request.user,
            sample=d.get("sample"),
            point=point,
            method=d.get("method"),
            occupancy=d["state"],
            sampled_at=d["sampled_at"],
            count=d.get("count"),
            exposure_minutes=d.get("exposure_minutes"),
            volume_litres=d.get("volume_litres"),
            particles_per_m3=d.get("particles_per_m3"),
        )
        return Response(SampleSerializer(self._qs().get(pk=sample.pk)).data, status=status.HTTP_201_CREATED)


router = routers.DefaultRouter()
router.register("environment/points", PointViewSet, basename="environment-point")
router.register("environment/limits", LimitViewSet, basename="environment-limit")
router.register("environment/samples", SampleViewSet, basename="environment-sample")
urlpatterns = [path("", include(router.urls))]
