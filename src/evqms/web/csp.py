"""Content-Security-Policy: the pages run only the application's own script files.

Templates carry no inline scripts or event handlers (onclick=, onchange=): behaviour lives in
static files (web/static/web/behaviours.js wires `data-*` attributes). Should a page ever need an
inline script, it gives it `nonce="{{ csp_nonce }}"`: the nonce is made when a template reads it,
fresh for that response, and only then does the policy name it. Styles may stay inline (style=""
attributes, htmx's indicator style): they cannot run code. The scan page's camera (getUserMedia
into a <video>, read by the browser's BarcodeDetector, web/static/web/scan.js) needs no source in
the policy: a camera stream is not fetched from anywhere, and no Permissions-Policy header
withholds the camera.
"""

from __future__ import annotations

import secrets

from django.utils.functional import lazy

POLICY = (
    "default-src 'self'; "
    "script-src {scripts}; "
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
        response = self.get_response(request)
        made = getattr(request, "_csp_nonce", None)  # by a template that read csp_nonce
        scripts = f"'self' 'nonce-{made}'" if made else "'self'"
        # A view may set its own policy (none does today); never overwrite it.
        response.headers.setdefault("Content-Security-Policy", POLICY.format(scripts=scripts))
        return response


def nonce(request) -> dict:
    """Template context: `csp_nonce` for the rare inline script, made on first use."""

    def make() -> str:
        if getattr(request, "_csp_nonce", None) is None:
            request._csp_nonce = secrets.token_urlsafe(16)
        return request._csp_nonce

    return {"csp_nonce": lazy(make, str)()}
