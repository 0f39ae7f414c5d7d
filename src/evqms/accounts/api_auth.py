"""How an API call presents its token (the view that hands tokens out is accounts/api.py).

A call sends `Authorization: Token <secret>` (or `Bearer <secret>`). The secret is looked up by its
SHA-256; a revoked or expired token, an inactive account or an account locked from the caller's
address is refused on every call, so deactivating or locking a person stops their scripts at once.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from evqms.accounts import lockout, services
from evqms.i18n import _

KEYWORDS = (b"token", b"bearer")


class HashedTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("the Authorization header must be 'Token <secret>'"))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("the token is not valid")) from None
        token = services.token_for_secret(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(_("the token is not valid, revoked or expired"))
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(
                _("the account {name} is inactive").format(name=user.username)
            )
        if lockout.is_user_locked(request._request, user):
            raise exceptions.AuthenticationFailed(
                _("the account {name} is locked after repeated failed logins").format(name=user.username)
            )
        return user, token

    def authenticate_header(self, request):
        return "Token"


class HashedTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token header (drf-spectacular finds it by its target)."""

    target_class = "evqms.accounts.api_auth.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token <secret> (from POST /api/v1/token/ or the My tokens page)",
        }
