"""/api/v1/equipment/: rooms and the instrument register (read, register), and recording a
calibration or maintenance on an instrument. Every write goes through `equipment.services`, which
checks the role; errors are 400 (bad input), 403 (role) and 409 (a rule)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import routers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from evqms.accounts.rules import require
from evqms.core import identifiers
from evqms.core.api import valid_input
from evqms.equipment import selectors, services
from evqms.equipment import status as states
from evqms.equipment.models import (
    CALIBRATION_RESULTS,
    INSTRUMENT_KINDS,
    MAINTENANCE_KINDS,
    OVERDUE_POLICIES,
    ROOM_GRADES,
)
from evqms.errors import InputError
from evqms.i18n import _


class RoomSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    grade = serializers.ChoiceField(choices=ROOM_GRADES, help_text="EU GMP Annex 1 grade")
    active = serializers.BooleanField(read_only=True)


class RoomViewSet(viewsets.ViewSet):
    lookup_field = "code"
    lookup_value_regex = identifiers.rule("room").pattern

    @extend_schema(responses=RoomSerializer(many=True))
    def list(self, request):
        require(request.user, "equipment.view")
        return Response(RoomSerializer(selectors.rooms(), many=True).data)

    @extend_schema(responses=RoomSerializer)
    def retrieve(self, request, code=None):
        require(request.user, "equipment.view")
        room = selectors.get_room(code)
        if room is None:
            raise Http404(_("unknown room {code}").format(code=code))
        return Response(RoomSerializer(room).data)

    @extend_schema(request=RoomSerializer, responses={201: RoomSerializer})
    def create(self, request):
        data = valid_input(RoomSerializer, request.data)
        room = services.create_room(actor=request.user, **data)
        return Response(RoomSerializer(room).data, status=status.HTTP_201_CREATED)


class InstrumentSerializer(serializers.Serializer):
    identifier = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=INSTRUMENT_KINDS)
    name = serializers.CharField(max_length=200)
    manufacturer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    serial_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    room = serializers.CharField(required=False, allow_null=True, help_text="room code")
    owner = serializers.CharField(required=False, allow_null=True, help_text="username")
    calibration_interval_days = serializers.IntegerField(required=False, allow_null=True)
    maintenance_interval_days = serializers.IntegerField(required=False, allow_null=True)
    calibration_due = serializers.DateField(required=False, allow_null=True)
    maintenance_due = serializers.DateField(required=False, allow_null=True)
    overdue_policy = serializers.ChoiceField(choices=OVERDUE_POLICIES, required=False, default="refuse")
    is_storage_unit = serializers.BooleanField(required=False, default=False)
    min_temperature_c = serializers.DecimalField(
        max_digits=6, decimal_places=1, required=False, allow_null=True
    )
    max_temperature_c = serializers.DecimalField(
        max_digits=6, decimal_places=1, required=False, allow_null=True
    )
    state = serializers.SerializerMethodField(
        help_text="in_service, calibration_overdue or out_of_service today"
    )

    def get_state(self, obj) -> str:
        return states.state(obj, timezone.localdate())

    def to_representation(self, obj):
        data = super().to_representation(obj)
        data["room"] = obj.room.code if obj.room_id else None
        data["owner"] = obj.owner.get_username() if obj.owner_id else None
        return data


class CalibrationSerializer(serializers.Serializer):
    performed_on = serializers.DateField()
    performed_by = serializers.CharField(max_length=200)
    result = serializers.ChoiceField(choices=CALIBRATION_RESULTS)
    certificate = serializers.FileField(required=False, write_only=True, help_text="kept with its sha256")
    notes = serializers.CharField(required=False, allow_blank=True)
    next_due = serializers.DateField(read_only=True)
    certificate_sha256 = serializers.CharField(read_only=True)


class MaintenanceSerializer(serializers.Serializer):
    performed_on = serializers.DateField()
    performed_by = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=MAINTENANCE_KINDS)
    description = serializers.CharField()
    next_due = serializers.DateField(read_only=True)


def _room(code):
    if not code:
        return None
    room = selectors.find_room(code)
    if room is None:
        raise InputError(_("unknown room {code}").format(code=code), where="room")
    return room


def _owner(username):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise InputError(_("unknown user {name}").format(name=username), where="owner")
    return user


class InstrumentViewSet(viewsets.ViewSet):
    lookup_field = "identifier"
    lookup_value_regex = identifiers.rule("instrument").pattern
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _get(self, identifier):
        found = selectors.get_instrument(identifier)
        if found is None:
            raise Http404(_("unknown instrument {identifier}").format(identifier=identifier))
        return found

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str),
            OpenApiParameter("room", str, description="room code"),
            OpenApiParameter("state", str, description="in_service, calibration_overdue, out_of_service"),
            OpenApiParameter("due_within", int, description="calibration or maintenance due within N days"),
        ],
        responses=InstrumentSerializer(many=True),
    )
    def list(self, request):
        require(request.user, "equipment.view")
        params = request.query_params
        due_within = params.get("due_within")
        if due_within is not None and not due_within.isdigit():
            raise InputError(_("a whole number of days is required"), where="due_within")
        qs = selectors.instruments(
            kind=params.get("kind") or None,
            room=params.get("room") or None,
            state=params.get("state") or None,
            due_within=int(due_within) if due_within else None,
        )
        return Response(InstrumentSerializer(qs, many=True).data)

    @extend_schema(responses=InstrumentSerializer)
    def retrieve(self, request, identifier=None):
        require(request.user, "equipment.view")
        return Response(InstrumentSerializer(self._get(identifier)).data)

    @extend_schema(request=InstrumentSerializer, responses={201: InstrumentSerializer})
    def create(self, request):
        data = dict(valid_input(InstrumentSerializer, request.data))
        data["room"], data["owner"] = _room(data.get("room")), _owner(data.get("owner"))
        instrument = services.register_instrument(actor=request.user, **data)
        return Response(InstrumentSerializer(instrument).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CalibrationSerializer, responses={201: CalibrationSerializer})
    @action(detail=True, methods=["post"])
    def calibrations(self, request, identifier=None):
        instrument = self._get(identifier)
        data = valid_input(CalibrationSerializer, request.data)
        record = services.record_calibration(actor=request.user, instrument=instrument, **data)
        return Response(CalibrationSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MaintenanceSerializer, responses={201: MaintenanceSerializer})
    @action(detail=True, methods=["post"])
    def maintenance(self, request, identifier=None):
        instrument = self._get(identifier)
        data = valid_input(MaintenanceSerializer, request.data)
        record = services.record_maintenance(actor=request.user, instrument=instrument, **data)
        return Response(MaintenanceSerializer(record).data, status=status.HTTP_201_CREATED)


router = routers.DefaultRouter()
router.register("equipment/rooms", RoomViewSet, basename="equipment-room")
router.register("equipment/instruments", InstrumentViewSet, basename="equipment-instrument")
urlpatterns = [path("", include(router.urls))]
