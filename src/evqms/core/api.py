"""REST API plumbing shared by every app: evqms errors become 400/403 with a clear message."""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from evqms.errors import InputError, PermissionDenied, RuleViolation


def exception_handler(exc, context):
    if isinstance(exc, InputError):
        return Response({"error": exc.message, "where": exc.where}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response({"error": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RuleViolation):
        return Response({"error": str(exc)}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
