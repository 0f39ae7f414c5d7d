"""The online clients against a local replay server (127.0.0.1 only): paging, 429 with
Retry-After, 5xx retries, giving up, and the CLI's online paths."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from evqms.cli import main
from evqms.landscape.ctgov_client import CtgovClient
from evqms.landscape.http import FetchError, PoliteClient, retry_after_seconds
from evqms.landscape.pubmed import CountCache, PubmedClient, yearly_counts
from evqms.landscape.store import TrialStore

# Messages are asserted in English (the Japanese catalogue is checked on its own).
pytestmark = pytest.mark.usefixtures("english_messages")


def client(sleeps, **kw):
    return PoliteClient(min_interval=0, backoff_base=0.001, sleep=sleeps.append, **kw)


@pytest.fixture
def pages(fixtures_dir):
    folder = fixtures_dir / "landscape" / "ctgov"
    return (folder / "ev_search_page1.json").read_bytes(), (folder / "ev_search_page2.json").read_bytes()


def test_ctgov_paging_with_429_and_503(replay, pages):
    replay.add("/api/v2/studies", pages[0])
    replay.add("/api/v2/studies", '{"message": "Too Many Requests"}', 429, {"Retry-After": "7"})
    replay.add("/api/v2/studies", "<html>Service Unavailable</html>", 503, {"Content-Type": "text/html"})
    replay.add("/api/v2/studies", pages[1])
    sleeps = []
    api = CtgovClient(replay.url + "/api/v2", http=client(sleeps))
    got = list(api.search(term="exosome", advanced="AREA[Phase]PHASE3", fields=["NCTId", "Phase"]))
    assert [p.total_count for p in got] == [13, None] and [p.next_page_token for p in got] == [
        "NF0g5JGEkvg",
        None,
    ]
    assert got[1].raw == pages[1]
    assert sleeps == [7.0, 0.002]  # Retry-After honoured, then exponential backoff (2nd try)
    first, *retries = replay.hits("/api/v2/studies")
    assert (
        first["query.term"] == ["exosome"]
        and first["pageSize"] == ["1000"]
        and first["countTotal"] == ["true"]
    )
    assert first["filter.advanced"] == ["AREA[Phase]PHASE3"] and first["fields"] == ["NCTId,Phase"]
    assert "pageToken" not in first
    assert (
        all(r["pageToken"] == ["NF0g5JGEkvg"] and "countTotal" not in r for r in retries)
        and len(retries) == 3
    )


def test_gives_up_after_n_tries(replay):
    replay.add("/api/v2/studies", "oops", 500, {"Content-Type": "text/plain"})
    sleeps = []
    api = CtgovClient(replay.url + "/api/v2", http=client(sleeps, max_tries=3))
    with pytest.raises(
        FetchError, match=r"gave up on .*/api/v2/studies after 3 tries; last answer: HTTP 500"
    ) as info:
        list(api.search(term="exosome"))
    assert info.value.status == 500 and len(replay.hits("/api/v2/studies")) == 3 and sleeps == [0.001, 0.002]


def test_client_error_is_not_retried(replay):
    replay.add("/api/v2/studies", '{"message": "bad filter"}', 400)
    with pytest.raises(FetchError, match="HTTP 400"):
        list(CtgovClient(replay.url + "/api/v2", http=client([])).search(term="x"))
    assert len(replay.hits("/api/v2/studies")) == 1


def test_connection_refused_gives_up():
    http = client([], max_tries=2)
    with pytest.raises(FetchError, match="after 2 tries; last answer: connection failed"):
        http.get("http://127.0.0.1:9/unused")


def test_rate_limit_spacing():
    sleeps, now = [], [100.0]
    http = PoliteClient(min_interval=0.5, sleep=sleeps.append, clock=lambda: now[0])
    http._wait_turn()
    http._wait_turn()
    now[0] += 0.2
    http._wait_turn()
    assert sleeps == [0.5, pytest.approx(0.3)]


def test_retry_after_date():
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after_seconds("3") == 3.0 and retry_after_seconds("soon") is None


def test_online_ingest_cli(replay, pages, store_home, monkeypatch, capsys):
    replay.add("/api/v2/studies", pages[0])
    replay.add("/api/v2/studies", "busy", 503, {"Retry-After": "0"})
    replay.add("/api/v2/studies", pages[1])
    monkeypatch.setenv("EVQMS_CTGOV_BASE_URL", replay.url + "/api/v2")
    assert (
        main(
            [
                "landscape",
                "trials",
                "ingest",
                "--online",
                "--query",
                "exosome",
                "--as-of",
                "2023-10-30",
                "--format",
                "json",
            ]
        )
        == 0
    )
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["records"] == 13 and len(manifest["inputs"]) == 2
    assert manifest["source"] == replay.url + "/api/v2" and manifest["query"] == "query.term=exosome"
    assert manifest["inputs"][1]["name"].endswith("pageToken=NF0g5JGEkvg")


def test_online_ingest_failure_stores_nothing(replay, pages, store_home, monkeypatch, capsys):
    replay.add("/api/v2/studies", pages[0])
    replay.add("/api/v2/studies", "down", 502)
    monkeypatch.setenv("EVQMS_CTGOV_BASE_URL", replay.url + "/api/v2")
    monkeypatch.setenv("EVQMS_HTTP_MAX_TRIES", "2")
    assert main(["landscape", "trials", "ingest", "--online", "--query", "exosome"]) == 2
    assert "gave up" in capsys.readouterr().err and TrialStore().ingests() == []


def esearch(count):
    return json.dumps(
        {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": {"count": str(count)}}
    )


def test_pubmed_counts_cached_then_offline(replay, store_home, monkeypatch, capsys):
    for count in (2011, 2733, 3150):
        replay.add("/entrez/eutils/esearch.fcgi", esearch(count))
    monkeypatch.setenv("EVQMS_EUTILS_BASE_URL", replay.url + "/entrez/eutils")
    monkeypatch.setenv("NCBI_API_KEY", "secret-key")
    assert (
        main(
            [
                "landscape",
                "pubmed",
                "counts",
                "--series",
                "seed",
                "--from",
                "2020",
                "--to",
                "2022",
                "--format",
                "json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["query"] == '"Extracellular Vesicle" "Therapy"'
    assert [(r["year"], r["count"]) for r in data["counts"]] == [(2020, 2011), (2021, 2733), (2022, 3150)]
    assert data["total"] == 7894 and "secret-key" not in json.dumps(data)
    hits = replay.hits("/entrez/eutils/esearch.fcgi")
    assert [(h["mindate"], h["maxdate"]) for h in hits] == [
        (["2020"], ["2020"]),
        (["2021"], ["2021"]),
        (["2022"], ["2022"]),
    ]
    assert hits[0]["term"] == ['"Extracellular Vesicle" "Therapy"'] and hits[0]["api_key"] == ["secret-key"]
    assert {k: v[0] for k, v in hits[0].items() if k in ("db", "rettype", "datetype", "retmode")} == {
        "db": "pubmed",
        "rettype": "count",
        "datetype": "pdat",
        "retmode": "json",
    }
    # offline: the same figures from the cache, no request
    assert (
        main(
            [
                "landscape",
                "pubmed",
                "counts",
                "--query",
                '"Extracellular Vesicle" "Therapy"',
                "--from",
                "2021",
                "--to",
                "2022",
                "--offline",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "2021      2733" in text and "Total      5883" in text and len(replay.requests) == 3
    assert (
        main(
            [
                "landscape",
                "pubmed",
                "counts",
                "--series",
                "seed",
                "--from",
                "2019",
                "--to",
                "2020",
                "--offline",
            ]
        )
        == 2
    )
    assert "no cached count for 2019" in capsys.readouterr().err


def test_pubmed_error_answer_and_rate(replay, tmp_path, monkeypatch):
    monkeypatch.delenv("EVQMS_HTTP_MIN_INTERVAL", raising=False)
    replay.add("/eutils/esearch.fcgi", json.dumps({"esearchresult": {"ERROR": "Invalid query"}}))
    api = PubmedClient(replay.url + "/eutils", api_key="")
    assert api.http.min_interval == pytest.approx(1 / 3)
    assert PubmedClient(replay.url, api_key="k").http.min_interval == pytest.approx(0.1)
    cache = CountCache(tmp_path / "c.json")
    with pytest.raises(FetchError, match="Invalid query"):
        yearly_counts("((", 2020, 2020, client=api, cache=cache)
    assert not cache.path.exists()  # nothing half-written


def test_clinics_online_crawl_respects_robots(replay, store_home, monkeypatch, fixtures_dir, capsys):
    folder = fixtures_dir / "landscape" / "clinics"
    base = replay.url
    links = "".join(
        f'<div class="result"><a class="result__a" href="//duckduckgo.com/l/?uddg={quote(base + p, safe="")}">x</a></div>'
        for p in ("/a/exosome/", "/b/private/", "/c/nose/")
    )
    replay.add(
        "/html/", f"<html><body>{links}</body></html>", headers={"Content-Type": "text/html; charset=utf-8"}
    )
    replay.add("/robots.txt", "User-agent: *\nDisallow: /b/\n", headers={"Content-Type": "text/plain"})
    replay.add(
        "/a/exosome/", (folder / "inc_tenteki_sjis.html").read_bytes(), headers={"Content-Type": "text/html"}
    )
    replay.add(
        "/b/private/", (folder / "inc_chusha.html").read_bytes(), headers={"Content-Type": "text/html"}
    )
    replay.add(
        "/c/nose/",
        (folder / "exc_drops.html").read_bytes(),
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    assert (
        main(
            [
                "landscape",
                "clinics",
                "classify",
                "--online",
                "--query",
                "エクソソーム点滴",
                "--search-url",
                base + "/html/",
                "--format",
                "json",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["summary"] == {"analysed": 3, "unique_urls": 3, "included": 1, "institutions_included": 1}
    decisions = {r["url"].replace(base, ""): r["decision"] for r in data["results"]}
    assert decisions == {"/a/exosome/": "included", "/b/private/": "not_confirmed", "/c/nose/": "excluded"}
    assert "robots.txt forbids" in captured.err and replay.hits("/b/private/") == []
    assert replay.hits("/html/")[0]["q"] == ["エクソソーム点滴"]
    # the crawl was saved to a dated WARC: classifying it again gives the same figures
    (warc,) = (store_home / "landscape" / "crawls").glob("clinics-*.warc.gz")
    assert main(["landscape", "clinics", "classify", str(warc), "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["summary"] == data["summary"] and again["results"] == data["results"]
