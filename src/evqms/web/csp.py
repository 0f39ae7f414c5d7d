"""Content-Security-Policy: the pages run only the application's own script files.

Templates carry no inline scripts or event handlers (onclick=, onchange=): behaviour lives in
static files (web/static/web/behaviours.js wires `data-*` attributes). Should a page ever need an
inline script, it gives it `nonce="{{ csp_nonce }}"`; each response gets a fresh nonce. Styles may
stay inline (style="" attributes, htmx's indicator style): they cannot run code.
"""

from __future__ import annotations

import secrets

POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self'; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        # A view may set its own policy (none does today); never overwrite it.
        response.headers.setdefault("Content-Security-Policy", POLICY.format(nonce=request.csp_nonce))
        return response


def nonce(request) -> dict:
    """Template context: `csp_nonce` for the rare inline script."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
