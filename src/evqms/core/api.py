"""REST API plumbing shared by every app: evqms errors become 400/403 with a clear message."""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from evqms.core.limits import MAX_RECORD_ID
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.i18n import _


def valid_input(serializer_class, data) -> dict:
    """The request body checked by `serializer_class`; the first error becomes an InputError naming
    its field (`field[key]` for a nested one), which the handler below answers with 400."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        field, messages = next(iter(serializer.errors.items()))
        if isinstance(messages, dict):
            key, inner = next(iter(messages.items()))
            field, messages = f"{field}[{key}]", inner
        raise InputError(" ".join(str(m) for m in messages), where=field)
    return serializer.validated_data


def exception_handler(exc, context):
    if isinstance(exc, InputError):
        return Response({"error": exc.message, "where": exc.where}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response({"error": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RuleViolation):
        return Response({"error": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, OverflowError):
        # A number from the request past what the database stores (?assay=99999999999999999999
        # on a filter that forgot evqms.core.limits.record_id): the client's error, not a 500.
        return Response(
            {
                "error": _("a number in the request is out of range (largest id: {max})").format(
                    max=MAX_RECORD_ID
                )
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    return drf_exception_handler(exc, context)
