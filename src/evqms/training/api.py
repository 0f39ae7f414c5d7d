"""/api/v1/training/: training records (list, record, revoke), media fills (read), the matrix and the
qualification check. Writes go through `training.services`; errors are 400 (bad input), 403 (role)
and 409 (a rule, e.g. a draft document or a record already revoked)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from django.urls import include, path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, routers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from evqms.accounts.rules import require
from evqms.core.limits import record_id
from evqms.dossier.models import Document
from evqms.errors import InputError
from evqms.i18n import _
from evqms.training import models as m
from evqms.training import selectors, services


class CanView(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("training.view")


def _invalid(s: serializers.Serializer):
    field, messages = next(iter(s.errors.items()))
    raise InputError(" ".join(str(x) for x in messages), where=field)


class TrainingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.CharField(source="person.username")
    document = serializers.CharField(source="document.code")
    version = serializers.IntegerField(source="document.version")
    trained_on = serializers.DateField()
    effective_from = serializers.DateField()
    trainer = serializers.CharField(source="trainer.username")
    method = serializers.CharField()
    evidence_name = serializers.CharField()
    evidence_sha256 = serializers.CharField()
    status = serializers.CharField()
    revoked_reason = serializers.CharField()


class TrainingCreateSerializer(serializers.Serializer):
    person = serializers.CharField(help_text="username")
    document = serializers.CharField(help_text="document code")
    version = serializers.IntegerField(help_text="the approved version trained on")
    trained_on = serializers.DateField()
    effective_from = serializers.DateField(required=False, allow_null=True)
    trainer = serializers.CharField(help_text="username of the trainer / assessor")
    method = serializers.ChoiceField(choices=[k for k, _l in m.TRAINING_METHODS])
    notes = serializers.CharField(required=False, allow_blank=True)


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField()


def _user(username: str, field: str):
    found = get_user_model().objects.filter(username=username).first()
    if found is None:
        raise InputError(_("unknown user {name}").format(name=username), where=field)
    return found


RECORD_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="the record's id")


@extend_schema_view(revoke=extend_schema(parameters=[RECORD_ID]))
class TrainingViewSet(viewsets.ViewSet):
    permission_classes = [permissions.IsAuthenticated, CanView]

    @extend_schema(
        parameters=[
            OpenApiParameter("person", str, description="username"),
            OpenApiParameter("document", str, description="document code"),
        ],
        responses=TrainingSerializer(many=True),
    )
    def list(self, request):
        qs = m.TrainingRecord.objects.select_related("person", "document", "trainer").order_by("pk")
        if request.query_params.get("person"):
            qs = qs.filter(person__username=request.query_params["person"])
        if request.query_params.get("document"):
            qs = qs.filter(document__code=request.query_params["document"])
        return Response(TrainingSerializer(qs[:2000], many=True).data)

    @extend_schema(
        request=TrainingCreateSerializer,
        responses={201: TrainingSerializer},
        description="Record a training on an approved document version (QA).",
    )
    def create(self, request):
        s = TrainingCreateSerializer(data=request.data)
        if not s.is_valid():
            _invalid(s)
        d = s.validated_data
        document = Document.objects.filter(code=d["document"], version=d["version"]).first()
        if document is None:
            raise InputError(
                _("no document {code} v{version}").format(code=d["document"], version=d["version"]),
                where="document",
            )
        record = services.record_training(
            actor=request.user,
            person=_user(d["person"], "person"),
            document=document,
            trained_on=d["trained_on"],
            effective_from=d.get("effective_from"),
            trainer=_user(d["trainer"], "trainer"),
            method=d["method"],
            notes=d.get("notes", ""),
        )
        return Response(TrainingSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RevokeSerializer, responses=TrainingSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        s = RevokeSerializer(data=request.data)
        if not s.is_valid():
            _invalid(s)
        record = m.TrainingRecord.objects.filter(pk=record_id(pk, name="id")).first()
        if record is None:
            raise Http404
        record = services.revoke_training(
            actor=request.user, record=record, reason=s.validated_data["reason"]
        )
        return Response(TrainingSerializer(record).data)


class ParticipantSerializer(serializers.Serializer):
    operator = serializers.CharField(source="operator.username")
    result = serializers.CharField()
    expires_on = serializers.DateField(help_text="the first day the qualification no longer holds")


class MediaFillSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    performed_on = serializers.DateField()
    line = serializers.CharField()
    process_description = serializers.CharField()
    units_filled = serializers.IntegerField()
    units_incubated = serializers.IntegerField()
    units_contaminated = serializers.IntegerField()
    result = serializers.CharField()
    validity_months = serializers.IntegerField()
    validity_source = serializers.CharField()
    participants = ParticipantSerializer(many=True)


@extend_schema_view(retrieve=extend_schema(parameters=[RECORD_ID]))
class MediaFillViewSet(viewsets.ViewSet):
    """Media fills (read only: a media fill is recorded with QA's signature on its page)."""

    permission_classes = [permissions.IsAuthenticated, CanView]

    @extend_schema(responses=MediaFillSerializer(many=True))
    def list(self, request):
        return Response(MediaFillSerializer(selectors.media_fills()[:1000], many=True).data)

    @extend_schema(responses=MediaFillSerializer)
    def retrieve(self, request, pk=None):
        run = selectors.get_media_fill(record_id(pk, name="id"))
        if run is None:
            raise Http404
        return Response(MediaFillSerializer(run).data)


class QualificationSerializer(serializers.Serializer):
    person = serializers.CharField()
    on = serializers.DateField()
    problems = serializers.ListField(child=serializers.CharField(), help_text="empty: qualified")


class QualificationView(APIView):
    """What a person lacks to record a process step (?step=<id>) or a result of a specification
    attribute (?attribute=<id>) on a day (?on=YYYY-MM-DD, default today)."""

    permission_classes = [permissions.IsAuthenticated, CanView]

    @extend_schema(
        parameters=[
            OpenApiParameter("person", str, required=True, description="username"),
            OpenApiParameter("step", int, description="process step id"),
            OpenApiParameter("attribute", int, description="specification attribute id"),
            OpenApiParameter("on", str, description="YYYY-MM-DD"),
        ],
        responses=QualificationSerializer,
    )
    def get(self, request):
        from django.utils import timezone

        from evqms.dossier.models import ProcessStep, SpecAttribute

        require(request.user, "training.view")
        who = _user(request.query_params.get("person", ""), "person")
        step = attribute = None
        if request.query_params.get("step"):
            step = ProcessStep.objects.filter(pk=record_id(request.query_params["step"], name="step")).first()
            if step is None:
                raise InputError(_("unknown step"), where="step")
        if request.query_params.get("attribute"):
            attribute = SpecAttribute.objects.filter(
                pk=record_id(request.query_params["attribute"], name="attribute")
            ).first()
            if attribute is None:
                raise InputError(_("unknown attribute"), where="attribute")
        on = request.query_params.get("on") or timezone.localdate()
        on = services.as_date(on, "on")
        problems = selectors.qualification_problems(who, step=step, attribute=attribute, on=on)
        return Response({"person": who.username, "on": on, "problems": problems})


router = routers.DefaultRouter()
router.register("training/records", TrainingViewSet, basename="training-record")
router.register("training/media-fills", MediaFillViewSet, basename="training-media-fill")
urlpatterns = [
    path("training/qualification/", QualificationView.as_view(), name="training-qualification"),
    path("", include(router.urls)),
]
