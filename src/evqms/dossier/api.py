"""REST API of the product dossier under /api/v1/ (read-only): products, specifications with their
attributes, process definitions with steps and parameters, material lots.

Permissions as on the pages: any QMS role may read (`dossier.view`); a user without a role gets
403. Writes go through the pages (and the services) where signatures are asked for.
"""

from __future__ import annotations

from rest_framework import permissions, serializers, viewsets
from rest_framework.routers import DefaultRouter

from evqms.dossier import models as m


class CanViewDossier(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("dossier.view"))


class ProductSerializer(serializers.ModelSerializer):
    responsible_physician = serializers.CharField(
        source="responsible_physician.username", allow_null=True, default=None
    )
    current_specification = serializers.SerializerMethodField()
    current_process = serializers.SerializerMethodField()

    class Meta:
        model = m.Product
        fields = [
            "code",
            "name",
            "ev_type",
            "source_cell_type",
            "origin",
            "indication_code",
            "indications",
            "routes",
            "dose_unit",
            "responsible_physician",
            "current_specification",
            "current_process",
        ]

    def _current(self, obj, related) -> int | None:
        approved = [x.version for x in getattr(obj, related).all() if x.status == "approved"]
        return max(approved) if approved else None

    def get_current_specification(self, obj) -> int | None:
        return self._current(obj, "specifications")

    def get_current_process(self, obj) -> int | None:
        return self._current(obj, "processes")


class AttributeSerializer(serializers.ModelSerializer):
    lower = serializers.DecimalField(max_digits=30, decimal_places=10, allow_null=True, coerce_to_string=True)
    upper = serializers.DecimalField(max_digits=30, decimal_places=10, allow_null=True, coerce_to_string=True)
    alert_lower = serializers.DecimalField(
        max_digits=30, decimal_places=10, allow_null=True, coerce_to_string=True
    )
    alert_upper = serializers.DecimalField(
        max_digits=30, decimal_places=10, allow_null=True, coerce_to_string=True
    )

    class Meta:
        model = m.SpecAttribute
        fields = [
            "code",
            "name",
            "method",
            "method_sop",
            "kind",
            "unit",
            "stage",
            "is_cqa",
            "lower",
            "lower_inclusive",
            "upper",
            "upper_inclusive",
            "alert_lower",
            "alert_upper",
            "decimal_places",
            "choices",
            "acceptable",
            "guidance_items",
            "source",
            "order",
        ]


class SpecificationSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.code")
    attributes = AttributeSerializer(many=True)

    class Meta:
        model = m.Specification
        fields = ["id", "product", "version", "status", "description", "created_at", "attributes"]


class ParameterSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.ProcessParameter
        fields = ["name", "unit", "low", "high", "critical", "in_process_control"]


class StepSerializer(serializers.ModelSerializer):
    parameters = ParameterSerializer(many=True)

    class Meta:
        model = m.ProcessStep
        fields = ["order", "kind", "name", "method", "aseptic", "sop", "parameters"]


class ProcessSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.code")
    steps = StepSerializer(many=True)

    class Meta:
        model = m.ProcessDefinition
        fields = ["id", "product", "version", "status", "description", "created_at", "steps"]


class MaterialLotSerializer(serializers.ModelSerializer):
    material = serializers.CharField(source="material.name")
    supplier = serializers.CharField(source="material.supplier")
    catalogue_number = serializers.CharField(source="material.catalogue_number")
    animal_component_free = serializers.BooleanField(read_only=True)
    coa_document = serializers.SerializerMethodField()

    class Meta:
        model = m.MaterialLot
        fields = [
            "id",
            "material",
            "supplier",
            "catalogue_number",
            "lot_number",
            "expiry",
            "received_on",
            "grade",
            "animal_species",
            "animal_tissue",
            "animal_origin_justification",
            "animal_component_free",
            "is_biological",
            "acceptance_status",
            "coa_document",
        ]

    def get_coa_document(self, obj) -> str | None:
        return f"{obj.coa_document.code} v{obj.coa_document.version}" if obj.coa_document_id else None


class _ReadOnly(viewsets.ReadOnlyModelViewSet):
    permission_classes = [CanViewDossier]


class ProductViewSet(_ReadOnly):
    serializer_class = ProductSerializer
    lookup_field = "code"
    queryset = (
        m.Product.objects.select_related("responsible_physician")
        .prefetch_related("specifications", "processes")
        .order_by("code")
    )


def _product_filter(qs, request):
    product = request.query_params.get("product")
    status = request.query_params.get("status")
    if product:
        qs = qs.filter(product__code=product)
    if status:
        qs = qs.filter(status=status)
    return qs


class SpecificationViewSet(_ReadOnly):
    """Specifications with attributes; filter with ?product=CODE&status=approved."""

    serializer_class = SpecificationSerializer

    def get_queryset(self):
        qs = (
            m.Specification.objects.select_related("product")
            .prefetch_related("attributes")
            .order_by("product__code", "version")
        )
        return _product_filter(qs, self.request)


class ProcessViewSet(_ReadOnly):
    """Process definitions with steps and parameters; filter with ?product=CODE&status=approved."""

    serializer_class = ProcessSerializer

    def get_queryset(self):
        qs = (
            m.ProcessDefinition.objects.select_related("product")
            .prefetch_related("steps__parameters")
            .order_by("product__code", "version")
        )
        return _product_filter(qs, self.request)


class MaterialLotViewSet(_ReadOnly):
    """Material lots; filter with ?acceptance_status=accepted or ?animal_origin=1."""

    serializer_class = MaterialLotSerializer

    def get_queryset(self):
        qs = m.MaterialLot.objects.select_related("material", "coa_document").order_by(
            "material__name", "lot_number"
        )
        status = self.request.query_params.get("acceptance_status")
        if status:
            qs = qs.filter(acceptance_status=status)
        if self.request.query_params.get("animal_origin") in ("1", "true"):
            qs = qs.exclude(animal_species="")
        return qs


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("products", ProductViewSet, basename="dossier-product")
router.register("specifications", SpecificationViewSet, basename="dossier-specification")
router.register("process-definitions", ProcessViewSet, basename="dossier-process")
router.register("material-lots", MaterialLotViewSet, basename="dossier-material-lot")

urlpatterns = router.urls
