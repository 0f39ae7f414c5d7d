"""What every area's demo loader shares."""

from __future__ import annotations

from django.test import RequestFactory


def signing_request(path: str):
    """A POST from the loopback, standing for the demo's person where a service takes the request
    (a signature records the address it was given from)."""
    request = RequestFactory().post(path)
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    return request
