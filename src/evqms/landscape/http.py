"""A polite HTTP client for the online sources: a minimum interval between requests, and
retries with exponential backoff on 429 and 5xx (honouring Retry-After) or a dropped
connection; after the last try a FetchError that names the URL and the last answer.

Tests point the clients at a local replay server and make the waits tiny through
`EVQMS_HTTP_BACKOFF_BASE` / `EVQMS_HTTP_MIN_INTERVAL` (or the constructor arguments).
"""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Callable

import httpx

from evqms import __version__
from evqms.errors import EvqmsError
from evqms.i18n import _

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"evqms/{__version__} (EV landscape monitor; +https://example.invalid/evqms)"


class FetchError(EvqmsError):
    """An online source did not answer usefully (after the retries, or with a hard error)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the last HTTP status, when there was one


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class PoliteClient:
    def __init__(
        self,
        *,
        min_interval: float | None = None,
        max_tries: int = 5,
        backoff_base: float | None = None,
        backoff_max: float = 60.0,
        retry_after_max: float = 300.0,
        timeout: float = 30.0,
        headers: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.min_interval = (
            _env_float("EVQMS_HTTP_MIN_INTERVAL", 1.0) if min_interval is None else min_interval
        )
        self.backoff_base = (
            _env_float("EVQMS_HTTP_BACKOFF_BASE", 1.0) if backoff_base is None else backoff_base
        )
        self.max_tries = max(1, int(os.environ.get("EVQMS_HTTP_MAX_TRIES") or max_tries))
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.sleep = sleep
        self.clock = clock
        self._last: float | None = None
        self.requests = 0  # how many requests went out (retries included)
        self._client = httpx.Client(
            timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT, **(headers or {})}
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _wait_turn(self) -> None:
        if self._last is not None:
            wait = self.min_interval - (self.clock() - self._last)
            if wait > 0:
                self.sleep(wait)
        self._last = self.clock()

    def get(self, url: str, *, params: dict | None = None) -> httpx.Response:
        last, status = "", None
        for attempt in range(1, self.max_tries + 1):
            self._wait_turn()
            self.requests += 1
            try:
                response = self._client.get(url, params=params)
            except httpx.TransportError as exc:
                last = _("connection failed ({error})").format(error=type(exc).__name__)
                status = None
                delay = None
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in RETRY_STATUSES:
                    raise FetchError(
                        _("{url} answered HTTP {status}: {body}").format(
                            url=response.request.url, status=response.status_code, body=response.text[:200]
                        ),
                        response.status_code,
                    )
                last = _("HTTP {status}").format(status=response.status_code)
                status = response.status_code
                delay = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt == self.max_tries:
                break
            # The server's Retry-After wins over our own backoff (capped: we do not wait for hours).
            if delay is not None:
                self.sleep(min(delay, self.retry_after_max))
            else:
                self.sleep(min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))
        raise FetchError(
            _("gave up on {url} after {tries} tries; last answer: {last}").format(
                url=url, tries=self.max_tries, last=last
            ),
            status,
        )
