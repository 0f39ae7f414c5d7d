"""/api/v1/inventory/: aliquots (read only), consignees (read only) and shipments (list, detail, and
shipping units to a registered consignee). Every write goes through `inventory.services.distribution`,
which checks the role; errors are 400 (bad input), 403 (role) and 409 (a rule, e.g. a unit held by a recall)."""

from __future__ import annotations

from django.http import Http404
from django.urls import include, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, routers, serializers, status, viewsets
from rest_framework.response import Response

from evqms.accounts.rules import require
from evqms.core import identifiers
from evqms.core.timefmt import iso_local
from evqms.errors import InputError
from evqms.i18n import _
from evqms.inventory import selectors
from evqms.inventory.models import Aliquot
from evqms.inventory.services import distribution


class CanView(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("inventory.view")


class AliquotSerializer(serializers.ModelSerializer):
    lot = serializers.CharField(source="lot.number")
    location = serializers.CharField(source="location.code", default=None)
    hold = serializers.SerializerMethodField(
        help_text="The recall or hold number that holds the unit, or null"
    )

    class Meta:
        model = Aliquot
        fields = [
            "container_id",
            "lot",
            "volume_ml",
            "particle_count",
            "protein_ug",
            "status",
            "hold",
            "location",
        ]

    def get_hold(self, obj) -> str | None:
        return obj.hold_ref or None if obj.status == "on_hold" else None


class AliquotViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AliquotSerializer
    permission_classes = [permissions.IsAuthenticated, CanView]
    lookup_field = "container_id"

    def get_queryset(self):
        qs = Aliquot.objects.select_related("lot", "location").order_by("container_id")
        lot = self.request.query_params.get("lot")
        return qs.filter(lot__number=lot) if lot else qs


LOCAL_TIME = "local time, ISO 8601 with the offset (+09:00)"


class ConsigneeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    site = serializers.CharField()
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    contact_email = serializers.CharField()
    active = serializers.BooleanField()
    shipments = serializers.IntegerField(source="n_shipments", help_text="shipments made to it")


class ConsigneeViewSet(viewsets.ViewSet):
    """The consignee register (clinics, pharmacies, distributors a recall notifies)."""

    lookup_field = "code"
    lookup_value_regex = distribution.CONSIGNEE_CODE.pattern

    @extend_schema(responses=ConsigneeSerializer(many=True))
    def list(self, request):
        require(request.user, "inventory.view")
        return Response(ConsigneeSerializer(selectors.consignees(), many=True).data)

    @extend_schema(responses=ConsigneeSerializer)
    def retrieve(self, request, code=None):
        require(request.user, "inventory.view")
        found = selectors.consignees().filter(code=code).first()
        if found is None:
            raise Http404(_("unknown consignee {code}").format(code=code))
        return Response(ConsigneeSerializer(found).data)


class ShipmentSerializer(serializers.Serializer):
    number = serializers.CharField()
    consignee = serializers.CharField(source="consignee.code")
    consignee_name = serializers.CharField(source="consignee.name")
    address = serializers.CharField(source="ship_to_address", help_text="as it was when shipped")
    site = serializers.CharField(source="ship_to_site")
    contact_name = serializers.CharField()
    shipped_at = serializers.SerializerMethodField(help_text=LOCAL_TIME)
    shipped_by = serializers.CharField(source="shipped_by.signature_name")
    reference = serializers.CharField(help_text="courier reference")
    aliquots = serializers.SerializerMethodField()

    def get_shipped_at(self, obj) -> str:
        return iso_local(obj.shipped_at)

    def get_aliquots(self, obj) -> list[str]:
        return [i.aliquot.container_id for i in obj.items.all()]  # read with the shipments (selectors)


class ShipmentCreateSerializer(serializers.Serializer):
    consignee = serializers.CharField(help_text="code of a registered, active consignee")
    aliquots = serializers.ListField(child=serializers.CharField(), help_text="container ids to ship")
    shipped_at = serializers.DateTimeField(required=False, help_text="with its zone; default now")
    reference = serializers.CharField(required=False, allow_blank=True, help_text="courier reference")


class ShipmentViewSet(viewsets.ViewSet):
    lookup_field = "number"
    lookup_value_regex = identifiers.rule("shipment").pattern

    @extend_schema(
        parameters=[
            OpenApiParameter("consignee", str, description="consignee code"),
            OpenApiParameter("lot", str, description="shipments holding a unit of this lot"),
        ],
        responses=ShipmentSerializer(many=True),
    )
    def list(self, request):
        require(request.user, "inventory.view")
        qs = selectors.shipments(units=True)
        if request.query_params.get("consignee"):
            qs = qs.filter(consignee__code=request.query_params["consignee"])
        if request.query_params.get("lot"):
            qs = qs.filter(items__aliquot__lot__number=request.query_params["lot"]).distinct()
        return Response(ShipmentSerializer(qs[:1000], many=True).data)

    @extend_schema(responses=ShipmentSerializer)
    def retrieve(self, request, number=None):
        require(request.user, "inventory.view")
        found = selectors.get_shipment(number)
        if found is None:
            raise Http404(_("unknown shipment {number}").format(number=number))
        return Response(ShipmentSerializer(found).data)

    @extend_schema(
        request=ShipmentCreateSerializer,
        responses={201: ShipmentSerializer},
        description="Ship units to a registered consignee (operators and QA): refused (409) when a unit is "
        "held by a recall or hold, not available, or its lot is not released.",
    )
    def create(self, request):
        s = ShipmentCreateSerializer(data=request.data)
        if not s.is_valid():
            field, messages = next(iter(s.errors.items()))
            raise InputError(" ".join(str(m) for m in messages), where=field)
        data = s.validated_data
        shipment = distribution.ship_aliquots(
            actor=request.user,
            aliquots=[a.strip() for a in data["aliquots"]],
            consignee=data["consignee"],
            shipped_at=data.get("shipped_at"),
            reference=data.get("reference", ""),
        )
        return Response(
            ShipmentSerializer(selectors.get_shipment(shipment.number)).data, status=status.HTTP_201_CREATED
        )


router = routers.DefaultRouter()
router.register("inventory/aliquots", AliquotViewSet, basename="inventory-aliquot")
router.register("inventory/consignees", ConsigneeViewSet, basename="inventory-consignee")
router.register("inventory/shipments", ShipmentViewSet, basename="inventory-shipment")
urlpatterns = [path("", include(router.urls))]
