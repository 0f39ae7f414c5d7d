"""/api/v1/trace/<direction>/<code>/: the same JSON as `evqms trace --format json`."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from evqms.trace.selectors import active_holds_for_trace, trace


class CanTrace(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("trace.view")


class TraceView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanTrace]

    @extend_schema(
        responses=OpenApiTypes.OBJECT, description="The lineage as `evqms trace --format json` prints it."
    )
    def get(self, request, direction: str, code: str):
        result = trace(direction, code)
        # Which lots and units are on hold, by recall or hold number: {"L1": ["RC-00001"], ...}
        return Response({**result.as_dict(), "holds": active_holds_for_trace(result)})


urlpatterns = [path("trace/<str:direction>/<str:code>/", TraceView.as_view(), name="api-trace")]
