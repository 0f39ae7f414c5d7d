"""Content-Security-Policy: the pages run only the application's own script files."""

import re
from pathlib import Path

import pytest

import evqms

TEMPLATES = sorted(Path(evqms.__file__).parent.rglob("templates/**/*.html"))


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text):
            if "nonce=" not in m.group(0):
                offenders.append(f"{path.name}: {m.group(0)}")
        for m in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{path.name}: {m.group(0)}")
        if "javascript:" in text:
            offenders.append(f"{path.name}: javascript: URL")
    assert not offenders, offenders


@pytest.mark.django_db
def test_every_response_carries_the_policy_without_a_nonce_no_page_uses(client):
    first = client.get("/accounts/login/")
    policy = first["Content-Security-Policy"]
    assert "script-src 'self'; " in policy and "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "nonce-" not in policy and "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "Content-Security-Policy" in client.get("/api/v1/schema/")


def test_a_template_that_uses_the_nonce_gets_a_fresh_one_named_in_the_policy(rf):
    from django.http import HttpResponse
    from django.template import engines

    from evqms.web.csp import ContentSecurityPolicyMiddleware

    def view(request):
        page = '<script nonce="{{ csp_nonce }}">1</script><p nonce="{{ csp_nonce }}"></p>'
        return HttpResponse(engines["django"].from_string(page).render(request=request))

    middleware = ContentSecurityPolicyMiddleware(view)
    seen = []
    for _ in range(2):
        response = middleware(rf.get("/"))
        nonces = re.findall(r'nonce="([^"]+)"', response.content.decode())
        assert len(nonces) == 2 and nonces[0] == nonces[1] and len(nonces[0]) >= 16
        assert f"script-src 'self' 'nonce-{nonces[0]}';" in response["Content-Security-Policy"]
        seen.append(nonces[0])
    assert seen[0] != seen[1]
