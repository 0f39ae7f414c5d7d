"""Literature growth: PubMed records per publication year for a query (NCBI E-utilities
`esearch`, `rettype=count`), cached with the query and the date each count was retrieved so
that a report can be rebuilt offline.

NCBI allows 3 requests a second without an API key and 10 with one (`NCBI_API_KEY`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from evqms.cliutil import atomic_write
from evqms.errors import InputError, location
from evqms.i18n import _
from evqms.landscape.http import FetchError, PoliteClient
from evqms.landscape.store import landscape_home

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
# Named series: the seed's own query (two phrases, all fields), and the recommended broader one:
# title/abstract only, and also papers that say "exosome", "microvesicle" or "secretome" and
# any word of treating rather than the word "therapy".
SERIES = {
    "seed": '"Extracellular Vesicle" "Therapy"',
    "broad": (
        '("extracellular vesicle"[tiab] OR "extracellular vesicles"[tiab] OR exosome*[tiab] '
        "OR microvesicle*[tiab] OR secretome[tiab]) AND (therap*[tiab] OR treat*[tiab] "
        "OR administ*[tiab])"
    ),
}


def base_url() -> str:
    return os.environ.get("EVQMS_EUTILS_BASE_URL") or DEFAULT_BASE_URL


class PubmedClient:
    def __init__(
        self, base: str | None = None, *, api_key: str | None = None, http: PoliteClient | None = None
    ):
        self.base = (base or base_url()).rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("NCBI_API_KEY")
        default_interval = 0.1 if self.api_key else 1 / 3
        env_interval = os.environ.get("EVQMS_HTTP_MIN_INTERVAL")
        self.http = http or PoliteClient(min_interval=None if env_interval else default_interval)

    def count(self, query: str, year: int) -> tuple[int, str]:
        """(records published in `year` matching `query`, the request URL without the key)."""
        params = {
            "db": "pubmed",
            "term": query,
            "rettype": "count",
            "datetype": "pdat",
            "mindate": str(year),
            "maxdate": str(year),
            "retmode": "json",
        }
        if self.api_key:
            params["api_key"] = self.api_key
        response = self.http.get(f"{self.base}/esearch.fcgi", params=params)
        url = str(response.request.url.copy_remove_param("api_key"))
        try:
            data = response.json()
        except ValueError:
            raise FetchError(_("{url}: the answer is not JSON").format(url=url)) from None
        result = data.get("esearchresult") if isinstance(data, dict) else None
        if not isinstance(result, dict) or "count" not in result:
            error = (result or {}).get("ERROR") if isinstance(result, dict) else None
            error = error or (data.get("error") if isinstance(data, dict) else None)
            raise FetchError(_("{url}: no count in the answer ({error})").format(url=url, error=error or "?"))
        try:
            return int(result["count"]), url
        except (TypeError, ValueError):
            raise FetchError(
                _("{url}: count is not a number: {value}").format(url=url, value=result["count"])
            ) from None


class CountCache:
    """$EVQMS_HOME/landscape/pubmed/counts.json: {query: {year: {count, retrieved, url}}}."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else landscape_home() / "pubmed" / "counts.json"

    def load(self) -> dict[str, dict[str, dict[str, Any]]]:
        if not self.path.is_file():
            return {}
        try:
            return json.loads(self.path.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(
                _("malformed JSON: {reason}").format(reason=exc.msg),
                where=location(file=str(self.path), line=exc.lineno),
            ) from None

    def save(self, data: dict[str, Any]) -> None:
        atomic_write(self.path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


def yearly_counts(
    query: str,
    start: int,
    end: int,
    *,
    offline: bool = False,
    client: PubmedClient | None = None,
    cache: CountCache | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """One row per year: {year, count, retrieved, url}. Online, every year is fetched and
    cached; offline, every year must be in the cache (else InputError naming the years)."""
    if start > end:
        raise InputError(_("--from {start} is after --to {end}").format(start=start, end=end), where="--from")
    cache = cache or CountCache()
    data = cache.load()
    stored = data.setdefault(query, {})
    years = range(start, end + 1)
    if offline:
        missing = [str(y) for y in years if str(y) not in stored]
        if missing:
            raise InputError(
                _("no cached count for {years}; run once without --offline").format(years=", ".join(missing)),
                where=str(cache.path),
            )
    else:
        client = client or PubmedClient()
        retrieved = (today or dt.date.today()).isoformat()
        for year in years:
            count, url = client.count(query, year)
            stored[str(year)] = {"count": count, "retrieved": retrieved, "url": url}
        cache.save(data)  # all years or none: written once, atomically
    return [{"year": y, **stored[str(y)]} for y in years]


def render_text(query: str, rows: list[dict[str, Any]]) -> str:
    lines = [_("PubMed records per publication year for: {query}").format(query=query), ""]
    for row in rows:
        lines.append(f"{row['year']}  {row['count']:>8}  ({_('retrieved')} {row['retrieved']})")
    lines.append(_("Total") + f"  {sum(r['count'] for r in rows):>8}")
    return "\n".join(lines) + "\n"
