"""What a scanned or typed code opens: the scan page (/scan/) reads a label's QR code, a hardware
scanner's keystrokes or a pasted text, and goes where the search box would.

A code is one of:
- an evqms address (what the labels print since they hold a URL, core.links): the address at
  EVQMS_BASE_URL or at the host the page was opened on; only its path is followed, and only when it
  names a page of this application, so a code never sends anyone to another site;
- a path typed or pasted (`/lots/UCEV-24-001/`), under the same rule;
- `EVQMS|<container id>|<lot>`, what the container labels held before they carried an address;
- any identifier, resolved by the header's search box (web.search): among the records the
  person's role may open, one goes straight to its page, several are listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve

from evqms.web import search

# The payload of the container labels printed before the code held the page's address.
LEGACY_LABEL = re.compile(r"EVQMS\|([^|]+)\|[^|]*")
LONGEST_ADDRESS = 2000

NOT_FOLLOWED = ("/static/", "/api/", "/i18n/", "/admin/")


@dataclass(frozen=True)
class Scan:
    text: str  # what was read, as the page shows it back
    url: str | None = None  # a path of this application to go to
    hits: list[search.Hit] = field(default_factory=list)
    problem: str = ""  # "", "elsewhere" (another site), "no_page", "not_found", "too_long"
    host: str = ""  # the other site's host, for "elsewhere"


def _local_path(path: str, query: str) -> str | None:
    """The path when it names a page of this application (never a static file, the API or the
    admin: a label opens a record's page)."""
    if not path.startswith("/") or path.startswith("//") or path.startswith(NOT_FOLLOWED):
        return None
    try:
        resolve(path)
    except Resolver404:
        return None
    return path + (f"?{query}" if query else "")


def _own_hosts(request_host: str) -> set[str]:
    base = urlsplit(settings.EVQMS_BASE_URL).netloc.lower()
    return {h for h in (base, (request_host or "").lower()) if h}


def read(user, raw, *, request_host: str = "") -> Scan:
    """Where `raw` (a scanned or typed code) leads `user`."""
    text = search.query_text(raw)
    if not text:
        return Scan("")
    if len(text) > LONGEST_ADDRESS:
        return Scan(text[:200], problem="too_long")
    parts = urlsplit(text) if "://" in text else None
    if parts is not None and parts.scheme.lower() in ("http", "https"):
        if parts.netloc.lower() not in _own_hosts(request_host):
            return Scan(text, problem="elsewhere", host=parts.hostname or parts.netloc)
        url = _local_path(parts.path or "/", parts.query)
        return Scan(text, url=url) if url else Scan(text, problem="no_page")
    if text.startswith("/"):
        # "//host/..." is an address on another host to a browser: never read as a path here.
        parts = urlsplit(text)
        url = None if text.startswith("//") else _local_path(parts.path, parts.query)
        return Scan(text, url=url) if url else Scan(text, problem="no_page")
    legacy = LEGACY_LABEL.fullmatch(text)
    identifier = legacy.group(1) if legacy else text
    if len(identifier) > search.LONGEST:
        return Scan(text[:200], problem="too_long")
    hits = search.find(user, identifier)
    if len(hits) == 1:
        return Scan(text, url=hits[0].url, hits=hits)
    return Scan(text, hits=hits, problem="" if hits else "not_found")
