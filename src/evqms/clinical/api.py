"""/api/v1/clinical/administrations/: read-only administrations (pseudonymised patient codes only)."""

from __future__ import annotations

from django.urls import include, path
from rest_framework import permissions, routers, serializers, viewsets

from evqms.clinical.models import Administration


class CanView(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("clinical.view")


class AdministrationSerializer(serializers.ModelSerializer):
    patient = serializers.CharField(source="patient.code")
    physician = serializers.CharField(source="physician.signature_name")
    aliquots = serializers.SerializerMethodField()

    class Meta:
        model = Administration
        fields = [
            "number",
            "patient",
            "physician",
            "administered_at",
            "route",
            "site",
            "dose_particles",
            "dose_protein_ug",
            "body_weight_kg",
            "aliquots",
            "notes",
        ]

    def get_aliquots(self, obj) -> list[str]:
        return [u.aliquot.container_id for u in obj.used.all()]


class AdministrationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AdministrationSerializer
    permission_classes = [permissions.IsAuthenticated, CanView]
    lookup_field = "number"

    def get_queryset(self):
        return (
            Administration.objects.select_related("patient", "physician")
            .prefetch_related("used__aliquot")
            .order_by("-administered_at", "-id")
        )


router = routers.DefaultRouter()
router.register("clinical/administrations", AdministrationViewSet, basename="clinical-administration")
urlpatterns = [path("", include(router.urls))]
