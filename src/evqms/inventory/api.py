"""/api/v1/inventory/aliquots/: read-only aliquot records (writes go through the services and pages)."""

from __future__ import annotations

from django.urls import include, path
from rest_framework import permissions, routers, serializers, viewsets

from evqms.inventory.models import Aliquot


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


router = routers.DefaultRouter()
router.register("inventory/aliquots", AliquotViewSet, basename="inventory-aliquot")
urlpatterns = [path("", include(router.urls))]
