"""ClinicalTrials.gov API v2 search client (`GET /api/v2/studies`), page by page.

Each page's raw bytes are returned unchanged (the store keeps them) beside its URL; the pages
are then read by the same offline loader as saved files, so online and offline give the same
records. ClinicalTrials.gov asks for about 50 requests a minute per client: the default
interval between requests is 1.2 s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from evqms.i18n import _
from evqms.landscape.http import FetchError, PoliteClient
from evqms.landscape.trials import parse_json

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
MAX_PAGE_SIZE = 1000
# The query used for the EV landscape when none is given (EVs under their usual names).
DEFAULT_QUERY = (
    '"extracellular vesicle" OR "extracellular vesicles" OR exosome OR exosomes OR '
    "microvesicle OR microvesicles OR secretome"
)


@dataclass
class Page:
    url: str
    raw: bytes
    total_count: int | None
    next_page_token: str | None


def base_url() -> str:
    return os.environ.get("EVQMS_CTGOV_BASE_URL") or DEFAULT_BASE_URL


class CtgovClient:
    def __init__(
        self,
        base: str | None = None,
        *,
        http: PoliteClient | None = None,
        page_size: int = MAX_PAGE_SIZE,
        max_pages: int = 1000,
    ):
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        self.base = (base or base_url()).rstrip("/")
        self.http = http or PoliteClient(
            min_interval=None if os.environ.get("EVQMS_HTTP_MIN_INTERVAL") else 1.2
        )
        self.page_size = page_size
        self.max_pages = max_pages

    def search(
        self,
        *,
        term: str | None = None,
        intr: str | None = None,
        advanced: str | None = None,
        fields: list[str] | None = None,
    ) -> Iterator[Page]:
        """Every page of a search, following nextPageToken until the last page."""
        params: dict[str, str] = {"format": "json", "pageSize": str(self.page_size), "countTotal": "true"}
        if term:
            params["query.term"] = term
        if intr:
            params["query.intr"] = intr
        if advanced:
            params["filter.advanced"] = advanced
        if fields:
            params["fields"] = ",".join(fields)
        seen_tokens: set[str] = set()
        for _page_number in range(self.max_pages):
            response = self.http.get(f"{self.base}/studies", params=params)
            url = str(response.request.url)
            data = parse_json(response.content, url)
            if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
                raise FetchError(_("{url}: the answer is not a page of studies").format(url=url))
            token = data.get("nextPageToken")
            yield Page(url, response.content, data.get("totalCount"), token)
            if not token:
                return
            if token in seen_tokens:  # a server that loops would otherwise never end
                raise FetchError(_("{url}: page token repeated; stopping").format(url=url))
            seen_tokens.add(token)
            params = {k: v for k, v in params.items() if k != "countTotal"}
            params["pageToken"] = token
        raise FetchError(_("more than {n} pages; narrow the query").format(n=self.max_pages))
