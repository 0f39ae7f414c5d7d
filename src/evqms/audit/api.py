"""/api/v1/audit/: the trail's search (the same filters as the page and `evqms audit search`) and
one event. Read only; needs audit.view. A bad filter answers 400 naming the parameter."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from evqms.audit import eventview
from evqms.audit.models import AuditEvent
from evqms.audit.search import TrailFilter, search
from evqms.core.limits import MAX_RECORD_ID, record_id
from evqms.core.timefmt import iso_local

PAGE_SIZE = 100


class CanReadTrail(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("audit.view")


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    occurred_at = serializers.CharField(help_text="local time, ISO 8601 with the offset (+09:00)")
    actor = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    record = serializers.CharField(help_text="the record's business key, '' when it no longer exists")
    reason = serializers.CharField()
    before = serializers.JSONField(help_text="the stored before (JSON), null when none")
    after = serializers.JSONField(help_text="the stored after (JSON), null when none")
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class EventPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = EventSerializer(many=True)


FILTER_PARAMETERS = [
    OpenApiParameter(
        "kind",
        str,
        description="kind of business key: lot, aliquot, patient, deviation, recall, hold, user, ...",
    ),
    OpenApiParameter(
        "key", str, description="the business key (lot number, container id, patient code, ...)"
    ),
    OpenApiParameter("object_type", str, description="a record as the trail names it (with object_id)"),
    OpenApiParameter("object_id", str),
    OpenApiParameter(
        "children", str, description="0: the record's own events only (default 1: with its records)"
    ),
    OpenApiParameter("actor", str, description="user name of who acted"),
    OpenApiParameter("action", str, description="an action or its beginning (lot.)"),
    OpenApiParameter("area", str, description="lots, inventory, clinical, trace, dossier, accounts, ..."),
    OpenApiParameter("text", str, description="words in the reason"),
    OpenApiParameter("since", OpenApiTypes.DATE, description="first local day (facility's zone)"),
    OpenApiParameter("until", OpenApiTypes.DATE, description="last local day (facility's zone)"),
    OpenApiParameter("page", int),
]


class EventListView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanReadTrail]

    @extend_schema(parameters=FILTER_PARAMETERS, responses=EventPageSerializer)
    def get(self, request):
        found = search(TrailFilter.from_params(request.query_params))
        paginator = Paginator(found.events, PAGE_SIZE)
        number = record_id(request.query_params.get("page"), name="page") or 1
        try:
            page = paginator.page(number)
        except EmptyPage:
            page = None
        rows = eventview.rows_for(page.object_list) if page else []
        return Response(
            {
                "count": paginator.count,
                "page": number,
                "pages": paginator.num_pages,
                "notes": [str(n) for n in found.notes],
                "results": [eventview.event_json(r) for r in rows],
            }
        )


class EventDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanReadTrail]

    @extend_schema(responses=EventSerializer, operation_id="audit_event_retrieve")
    def get(self, request, seq: int):
        event = AuditEvent.objects.filter(seq=seq).first() if 0 < seq <= MAX_RECORD_ID else None
        if event is None:
            raise Http404
        (row,) = eventview.rows_for([event])
        fields = [
            {
                "field": f.name,
                "state": f.state,
                "before": f.before if f.in_before else None,
                "after": f.after if f.in_after else None,
            }
            for f in eventview.compare(event.before, event.after)
        ]
        signature = eventview.signature_of(event)
        sig = None
        if signature is not None:
            s = signature.signature
            sig = {
                "signature_id": signature.signature_id if isinstance(signature.signature_id, int) else None,
                "found": s is not None,
                "printed_name": s.printed_name if s else None,
                "meaning": s.meaning if s else None,
                "signed_at": iso_local(s.signed_at) if s else None,
                "record_hash": s.record_hash if s else None,
                "invalidated": signature.invalidated,
            }
        return Response(
            {
                **eventview.event_json(row),
                "fields": fields,
                "signature": sig,
                "hash_recomputes": eventview.hash_recomputes(event),
            }
        )


urlpatterns = [
    path("audit/events/", EventListView.as_view(), name="audit-events"),
    path("audit/events/<int:seq>/", EventDetailView.as_view(), name="audit-event"),
]
