"""`POST /api/v1/token/`: a person exchanges their user name and password for an API token."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from evqms.accounts import lockout, services
from evqms.core.timefmt import iso_local
from evqms.errors import InputError
from evqms.i18n import _


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    days = serializers.IntegerField(required=False, min_value=1, max_value=3650)


class TokenView(APIView):
    """POST username and password (and a name for the token): a new token, shown once.

    The password check is the login page's (django-axes counts a failure against the account from
    this address; an unknown address is slowed after repeated failures)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(request=TokenRequestSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        if not data.is_valid():
            raise exceptions.ValidationError(data.errors)
        d = data.validated_data
        django_request = request._request
        user = authenticate(django_request, username=d["username"], password=d["password"])
        if user is None:
            wait = getattr(django_request, "evqms_backoff_seconds", 0)
            if getattr(django_request, "axes_locked_out", False) or lockout.is_locked(
                django_request, d["username"]
            ):
                return Response(
                    {
                        "error": _(
                            "too many failed attempts from this address: try again in an hour or ask an administrator to unlock the account"
                        )
                    },
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            if wait:
                return Response(
                    {"error": _("too many failed attempts: try again in {n} seconds").format(n=wait)},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(wait)},
                )
            return Response(
                {"error": _("the user name or password is wrong (or the account is inactive)")},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        try:
            token, secret = services.create_token(actor=user, name=d["name"], days=d.get("days"))
        except InputError as exc:
            return Response({"error": exc.message, "where": exc.where}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {
                "token": secret,
                "prefix": token.prefix,
                "expires_at": iso_local(token.expires_at),
                "note": _("keep this token secret: it is shown only now"),
            },
            status=status.HTTP_201_CREATED,
        )
