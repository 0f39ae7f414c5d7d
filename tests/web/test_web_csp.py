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
def test_every_response_carries_the_policy_with_a_fresh_nonce(client):
    first = client.get("/accounts/login/")
    second = client.get("/accounts/login/")
    policy = first["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert policy != second["Content-Security-Policy"]
    assert "Content-Security-Policy" in client.get("/api/v1/schema/")
