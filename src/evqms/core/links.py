"""Addresses read outside the browser: a link in an e-mail, the URL a printed label's QR code holds.

They start with the installation's address as people reach it (EVQMS_BASE_URL, e.g.
https://evqms.example.org), not with whatever host a request came in on, so a label printed from a
workstation on the local network opens the same record when a phone scans it.
"""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """`/inventory/aliquots/UCEV-24-002-A001/` -> `https://evqms.example.org/inventory/aliquots/...`."""
    return f"{settings.EVQMS_BASE_URL}{path}"
