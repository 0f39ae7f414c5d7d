"""/api/v1/clinical/: read-only administrations, evaluations, follow-up visits and safety reports
(pseudonymised patient codes only)."""

from __future__ import annotations

from django.urls import include, path
from rest_framework import permissions, routers, serializers, viewsets

from evqms.clinical.models import Administration, Evaluation, FollowUpVisit, SafetyReport
from evqms.clinical.services.safety import clock
from evqms.clinical.services.visits import visit_state


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


class EvaluationSerializer(serializers.ModelSerializer):
    administration = serializers.CharField(source="administration.number")
    patient = serializers.CharField(source="patient.code")
    instrument = serializers.CharField(source="instrument.code")
    instrument_version = serializers.IntegerField(source="instrument.version")
    recorded_by = serializers.CharField(source="recorded_by.signature_name")

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "administration",
            "patient",
            "instrument",
            "instrument_version",
            "kind",
            "evaluated_at",
            "values",
            "score",
            "recorded_by",
            "recorded_at",
        ]


class EvaluationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EvaluationSerializer
    permission_classes = [permissions.IsAuthenticated, CanView]

    def get_queryset(self):
        return Evaluation.objects.select_related(
            "administration", "patient", "instrument", "recorded_by"
        ).order_by("id")


class VisitSerializer(serializers.ModelSerializer):
    administration = serializers.CharField(source="administration.number")
    instrument = serializers.CharField(source="instrument_use.instrument.code")
    state = serializers.SerializerMethodField()

    class Meta:
        model = FollowUpVisit
        fields = [
            "id",
            "administration",
            "instrument",
            "month",
            "due_on",
            "window_start",
            "window_end",
            "status",
            "state",
            "evaluation",
            "missed_reason",
        ]

    def get_state(self, obj) -> str:
        return visit_state(obj)


class VisitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VisitSerializer
    permission_classes = [permissions.IsAuthenticated, CanView]

    def get_queryset(self):
        return FollowUpVisit.objects.select_related("administration", "instrument_use__instrument").order_by(
            "due_on", "id"
        )


class SafetyReportSerializer(serializers.ModelSerializer):
    adverse_event = serializers.CharField(source="adverse_event.number", default=None)
    product = serializers.CharField(source="product.code", default=None)
    state = serializers.SerializerMethodField()
    days_left = serializers.SerializerMethodField()
    signed_by = serializers.CharField(source="signature.printed_name", default=None)

    class Meta:
        model = SafetyReport
        fields = [
            "number",
            "kind",
            "adverse_event",
            "product",
            "period_start",
            "period_end",
            "clock_start",
            "due_on",
            "state",
            "days_left",
            "generated_at",
            "submitted_on",
            "submitted_to",
            "authority_reference",
            "late",
            "late_reason",
            "signed_by",
        ]

    def get_state(self, obj) -> str:
        return clock(obj).state

    def get_days_left(self, obj) -> int | None:
        return clock(obj).days_left


class SafetyReportViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SafetyReportSerializer
    permission_classes = [permissions.IsAuthenticated, CanView]
    lookup_field = "number"

    def get_queryset(self):
        return SafetyReport.objects.select_related("adverse_event", "product", "signature").order_by(
            "due_on", "id"
        )


router = routers.DefaultRouter()
router.register("clinical/administrations", AdministrationViewSet, basename="clinical-administration")
router.register("clinical/evaluations", EvaluationViewSet, basename="clinical-evaluation")
router.register("clinical/visits", VisitViewSet, basename="clinical-visit")
router.register("clinical/safety-reports", SafetyReportViewSet, basename="clinical-safety-report")
urlpatterns = [path("", include(router.urls))]
