"""A crawl of search results: read it from a WARC file or a JSONL manifest, or make it online.

A crawl holds two kinds of record: search-result pages (kind "search", with the query) and the
result pages themselves (kind "page"). Online, the search goes through a `SearchBackend`
(DuckDuckGo's HTML endpoint by default, base URL configurable), robots.txt is obeyed (protego),
requests are spaced, and every answer is written to a dated WARC file (warcio) that can be
classified again later to the same counts. One damaged record is reported and skipped.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

from evqms.core import limits
from evqms.errors import InputError
from evqms.i18n import _
from evqms.landscape.trials import Problem

KIND_HEADER = "WARC-Evqms-Kind"
QUERY_HEADER = "WARC-Evqms-Query"
# The seed's seven queries (section 6).
SEED_QUERIES = (
    "エクソソーム注射",
    "エクソソーム AND 注射",
    "エクソソーム点滴",
    "エクソソーム AND 点滴",
    "エクソソーム注入",
    "エクソソーム AND 注入",
    "エクソソーム療法",
)


@dataclass
class CrawlRecord:
    url: str
    kind: str  # "search" or "page"
    query: str | None
    retrieved: str | None
    body: bytes
    content_type: str | None
    where: str  # the record's place in the input, for messages


@dataclass
class Crawl:
    records: list[CrawlRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def canonical_url(url: str) -> str:
    """The same page under one spelling: lower-case scheme and host, no fragment."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def url_refusal(url: object) -> str | None:
    """Why a crawl record's URL cannot be used (None when it can): it must be an http(s) URL
    that `urlsplit` can read, else every later step (host, canonical form) would fail on it."""
    if not isinstance(url, str):
        return _('"url" is not text')
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:  # e.g. an unbalanced "[" in the host
        return _("unreadable URL {url}: {reason}").format(url=url[:200], reason=exc)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return _("not an http(s) URL: {url}").format(url=url[:200])
    return None


class SearchBackend(Protocol):
    name: str

    def search_url(self, query: str, offset: int) -> str: ...

    def is_search_url(self, url: str) -> bool: ...

    def result_urls(self, html: str, page_url: str) -> list[str]: ...


class DuckDuckGoHtml:
    """DuckDuckGo's HTML results page (`/html/?q=...&s=offset`)."""

    name = "duckduckgo-html"
    DEFAULT_BASE_URL = "https://html.duckduckgo.com/html/"

    def __init__(self, base_url: str | None = None):
        self.base_url = base_url or os.environ.get("EVQMS_SEARCH_BASE_URL") or self.DEFAULT_BASE_URL

    def search_url(self, query: str, offset: int = 0) -> str:
        params = {"q": query, "kl": "jp-jp"}
        if offset:
            params["s"] = str(offset)
        return f"{self.base_url}?{urlencode(params)}"

    def is_search_url(self, url: str) -> bool:
        parts, base = urlsplit(url), urlsplit(self.base_url)
        if parts.netloc.lower() == base.netloc.lower() and parts.path.startswith(base.path.rstrip("/")):
            return True
        return parts.netloc.lower().endswith("duckduckgo.com") and parts.path.startswith(("/html", "/lite"))

    def result_urls(self, html: str, page_url: str) -> list[str]:
        import lxml.html

        try:
            tree = lxml.html.fromstring(html)
        except Exception:  # an empty or hopeless page has no results
            return []
        urls: list[str] = []
        for link in tree.xpath("//a[contains(concat(' ', @class, ' '), ' result__a ')]"):
            ancestors = " ".join(a.get("class", "") for a in link.iterancestors())
            if "result--ad" in ancestors:  # adverts are not search results
                continue
            href = urljoin(page_url, link.get("href", ""))
            parts = urlsplit(href)
            if parts.netloc.endswith("duckduckgo.com") and parts.path.startswith("/l/"):
                href = parse_qs(parts.query).get("uddg", [""])[0]
            if href.startswith(("http://", "https://")) and canonical_url(href) not in urls:
                urls.append(canonical_url(href))
        return urls


# --- reading a saved crawl -------------------------------------------------------------------


def read_manifest(path: str | os.PathLike, backend: SearchBackend | None = None) -> Crawl:
    """JSONL, one `{"url", "file", "query", "retrieved"}` a line (optional "kind", "content_type");
    `file` is relative to the manifest."""
    backend = backend or DuckDuckGoHtml()
    manifest = Path(path)
    crawl = Crawl()
    try:
        lines = limits.decode_text(limits.read_file(manifest), name=str(manifest)).splitlines()
    except OSError as exc:
        raise InputError(
            _("cannot read the manifest: {reason}").format(reason=exc), where=str(manifest)
        ) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = _("{file}, line {line}").format(file=manifest.name, line=number)
        try:
            row = limits.load_json(line, name=where)  # bounded: depth, NaN, long numbers
        except InputError as exc:
            crawl.problems.append(Problem(where, _("malformed JSON: {reason}").format(reason=exc.message)))
            continue
        if not isinstance(row, dict) or not row.get("url") or not row.get("file"):
            crawl.problems.append(Problem(where, _('needs "url" and "file"')))
            continue
        refusal = url_refusal(row["url"])
        not_text = [
            k
            for k in ("file", "kind", "query", "retrieved", "content_type")
            if row.get(k) is not None and not isinstance(row[k], str)
        ]
        if refusal or not_text:
            crawl.problems.append(
                Problem(where, refusal or _('"{field}" is not text').format(field=not_text[0]))
            )
            continue
        file = manifest.parent / row["file"]
        try:
            body = limits.read_file(file) if file.is_file() else file.read_bytes()
        except OSError:
            crawl.problems.append(Problem(where, _("file not found: {file}").format(file=row["file"])))
            continue
        kind = row.get("kind") or ("search" if backend.is_search_url(row["url"]) else "page")
        crawl.records.append(
            CrawlRecord(
                row["url"],
                kind,
                row.get("query"),
                row.get("retrieved"),
                body,
                row.get("content_type"),
                f"{where} ({row['file']})",
            )
        )
    return crawl


def read_warc(path: str | os.PathLike, backend: SearchBackend | None = None) -> Crawl:
    """Response records of a WARC file (gzipped or not); a truncated record is reported."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    backend = backend or DuckDuckGoHtml()
    name = Path(path).name
    crawl = Crawl()
    size = os.path.getsize(path)
    limits.check_size(size, name=name)
    number = 0
    last = ""
    with open(path, "rb") as fh:
        if fh.read(2) == b"\x1f\x8b":  # gzip: refuse a bomb before warcio expands any of it
            fh.seek(0)
            limits.check_gzip_expansion(fh, name=name)
        fh.seek(0)
        iterator = ArchiveIterator(fh)
        try:
            for record in iterator:
                number += 1
                where = _("{file}, record {n}").format(file=name, n=number)
                if record.rec_type != "response":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                where += f" ({url})"
                body = record.content_stream().read()
                if getattr(record.raw_stream, "limit", 0):
                    crawl.problems.append(
                        Problem(
                            where, _("truncated record: {n} bytes missing").format(n=record.raw_stream.limit)
                        )
                    )
                    continue
                if not url:
                    crawl.problems.append(Problem(where, _("no WARC-Target-URI")))
                    continue
                refusal = url_refusal(url)
                if refusal:
                    crawl.problems.append(Problem(where, refusal))
                    continue
                last = url
                headers = record.http_headers
                kind = record.rec_headers.get_header(KIND_HEADER) or (
                    "search" if backend.is_search_url(url) else "page"
                )
                crawl.records.append(
                    CrawlRecord(
                        url,
                        kind,
                        record.rec_headers.get_header(QUERY_HEADER),
                        record.rec_headers.get_header("WARC-Date"),
                        body,
                        headers.get_header("Content-Type") if headers else None,
                        where,
                    )
                )
        # warcio raises AttributeError/TypeError/KeyError on some malformed headers (a record
        # with no target URI where it expects one): the record is unreadable, not a crash.
        except (ArchiveLoadFailed, EOFError, OSError, ValueError, AttributeError, TypeError, KeyError) as exc:
            crawl.problems.append(
                Problem(
                    _("{file}, record {n}").format(file=name, n=number + 1),
                    _("unreadable record ({error}); the rest of the file is skipped").format(
                        error=str(exc)[:120]
                    ),
                )
            )
            return crawl
    if iterator.offset < size:  # a gzip member cut short ends the iteration silently
        crawl.problems.append(
            Problem(
                _("{file}, record {n}").format(file=name, n=number + 1),
                _("truncated record after {url} (bytes {start}-{end} unreadable)").format(
                    url=last or "-", start=iterator.offset, end=size
                ),
            )
        )
    return crawl


def read_crawl(path: str | os.PathLike, backend: SearchBackend | None = None) -> Crawl:
    p = Path(path)
    if not p.is_file():
        raise InputError(_("file not found"), where=str(path))
    if p.suffix.lower() in (".jsonl", ".json"):
        return read_manifest(p, backend)
    if p.name.lower().endswith((".warc", ".warc.gz", ".arc", ".arc.gz")):
        return read_warc(p, backend)
    raise InputError(_("expected a .warc, .warc.gz or .jsonl manifest"), where=str(path))


# --- writing and fetching ----------------------------------------------------------------------


def write_warc(path: str | os.PathLike, records: Iterable[CrawlRecord]) -> Path:
    """All records into one gzipped WARC file, atomically (temporary file, then rename)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            writer = WARCWriter(fh, gzip=True)
            for rec in records:
                http = StatusAndHeaders(
                    "200 OK", [("Content-Type", rec.content_type or "text/html")], protocol="HTTP/1.1"
                )
                warc_headers = {KIND_HEADER: rec.kind}
                if rec.retrieved:
                    warc_headers["WARC-Date"] = rec.retrieved
                if rec.query:
                    warc_headers[QUERY_HEADER] = rec.query
                writer.write_record(
                    writer.create_warc_record(
                        rec.url,
                        "response",
                        payload=io.BytesIO(rec.body),
                        http_headers=http,
                        warc_headers_dict=warc_headers,
                    )
                )
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


class Robots:
    """robots.txt per host (protego); an unreachable robots.txt (5xx, no answer) forbids the host,
    a missing one (4xx) allows it, as the Robots Exclusion Protocol (RFC 9309) says."""

    def __init__(self, http, user_agent: str):
        self.http = http
        self.user_agent = user_agent
        self._rules: dict[str, object | None] = {}

    def allowed(self, url: str) -> bool:
        from protego import Protego

        from evqms.landscape.http import FetchError

        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._rules:
            try:
                response = self.http.get(origin + "/robots.txt")
                self._rules[origin] = Protego.parse(response.text)
            except FetchError as exc:
                self._rules[origin] = "allow" if 400 <= (exc.status or 0) < 500 else None
        rules = self._rules[origin]
        if rules == "allow":
            return True
        return rules is not None and rules.can_fetch(url, self.user_agent)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch_crawl(
    queries: Iterable[str],
    *,
    backend: SearchBackend,
    http,
    max_results: int = 100,
) -> Crawl:
    """Search each query, then fetch each result page once (a page found by several queries is
    fetched for the first). Pages that robots.txt forbids or that fail are reported, not kept."""
    from evqms.landscape.http import USER_AGENT, FetchError

    robots = Robots(http, USER_AGENT.split("/")[0])
    crawl = Crawl()
    fetched: set[str] = set()

    def get(url: str, kind: str, query: str) -> CrawlRecord | None:
        if not robots.allowed(url):
            crawl.problems.append(Problem(url, _("robots.txt forbids fetching this page")))
            return None
        try:
            response = http.get(url)
        except FetchError as exc:
            crawl.problems.append(Problem(url, str(exc)))
            return None
        record = CrawlRecord(
            url, kind, query, _now(), response.content, response.headers.get("Content-Type"), url
        )
        crawl.records.append(record)
        return record

    from evqms.landscape.text import decode_html

    for query in queries:
        results: list[str] = []
        offset = 0
        while len(results) < max_results:
            page = get(backend.search_url(query, offset), "search", query)
            if page is None:
                break
            found = backend.result_urls(decode_html(page.body, page.content_type).text, page.url)
            new = [u for u in found if u not in results]
            if not new:  # the backend has no further results: this page adds nothing
                crawl.records.remove(page)
                break
            results += new
            offset += len(found)
        for url in results[:max_results]:
            if url not in fetched:
                fetched.add(url)
                get(url, "page", query)
    return crawl
