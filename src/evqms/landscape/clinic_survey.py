"""From a crawl to the survey's figures: every search result analysed, each unique URL decided
on its own page, and the included pages grouped by institution."""

from __future__ import annotations

import io
from typing import Any

from evqms.core import csvsafe
from evqms.i18n import _
from evqms.landscape.clinics import INCLUDED, NOT_CONFIRMED, classify_page, host_of, institution_of, summarise
from evqms.landscape.crawl import Crawl, DuckDuckGoHtml, SearchBackend, canonical_url
from evqms.landscape.text import decode_html, page_text
from evqms.landscape.trials import Problem

SENTENCE_LIMIT = 500  # characters of the deciding sentence kept with a decision


def survey(crawl: Crawl, backend: SearchBackend | None = None) -> dict[str, Any]:
    backend = backend or DuckDuckGoHtml()
    problems = list(crawl.problems)
    pages: dict[str, Any] = {}
    hits: list[tuple[str | None, str]] = []
    searched = False
    seen: set[tuple[str | None, str]] = set()
    for record in crawl.records:
        if record.kind == "search":
            searched = True
            decoded = decode_html(record.body, record.content_type)
            for url in backend.result_urls(decoded.text, record.url):
                if (record.query, url) not in seen:  # once per query, even if two result pages list it
                    seen.add((record.query, url))
                    hits.append((record.query, url))
        else:
            pages.setdefault(canonical_url(record.url), record)
    # Pages saved without their search page count as results of their own query.
    hit_urls = {url for _query, url in hits}
    hits += [(rec.query, url) for url, rec in pages.items() if url not in hit_urls]

    queries: dict[str, list[str]] = {}
    for query, url in hits:
        found = queries.setdefault(url, [])
        if query and query not in found:
            found.append(query)

    results = []
    for url, url_queries in queries.items():
        record = pages.get(url)
        if record is None:
            results.append(
                {
                    "url": url,
                    "decision": NOT_CONFIRMED,
                    "reason": _("the result page is not in the crawl"),
                    "matched": [],
                    "sentence": "",
                    "institution": host_of(url),
                    "institution_name": "",
                    "title": "",
                    "queries": url_queries,
                }
            )
            continue
        decoded = decode_html(record.body, record.content_type)
        problems += [Problem(record.where, note, skipped=False) for note in decoded.notes]
        page = page_text(decoded.text)
        decision = classify_page(url, page)
        institution = institution_of(url, page)
        results.append(
            {
                "url": url,
                "decision": decision.decision,
                "reason": decision.reason,
                "matched": decision.matched,
                "sentence": decision.sentence[:SENTENCE_LIMIT],
                "institution": institution["id"],
                "institution_name": institution["name"],
                "title": page.title,
                "queries": url_queries,
            }
        )

    return {
        "summary": summarise(results, len(hits)),
        "results": results,
        "institutions": institutions_of(results),
        "problems": [str(p) for p in problems],
        "skipped": sum(1 for p in problems if p.skipped),
        "search_pages_seen": searched,
    }


def institutions_of(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The institutions of the included results, each with its name and included URLs, in order of
    first appearance (the stored run's list, and the report's once reviewers' decisions apply)."""
    institutions: dict[str, dict[str, Any]] = {}
    for result in results:
        if result["decision"] == INCLUDED:
            entry = institutions.setdefault(
                result["institution"],
                {"institution": result["institution"], "name": result["institution_name"], "urls": []},
            )
            entry["name"] = entry["name"] or result["institution_name"]
            entry["urls"].append(result["url"])
    return list(institutions.values())


def render_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")  # formula injection neutralised
    writer.writerow(
        [
            "url",
            "decision",
            "reason",
            "matched",
            "sentence",
            "institution",
            "institution_name",
            "queries",
            "rule_decision",
            "review",
        ]
    )
    for r in report["results"]:
        writer.writerow(
            [
                r["url"],
                r["decision"],
                r["reason"],
                ";".join(r["matched"]),
                r.get("sentence", ""),
                r["institution"],
                r["institution_name"],
                ";".join(r["queries"]),
                r.get("rule_decision", r["decision"]),
                r.get("review", ""),
            ]
        )
    return out.getvalue()


def render_text(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [
        _("Search results analysed: {n}").format(n=s["analysed"]),
        _("Unique URLs: {n}").format(n=s["unique_urls"]),
        _("Pages confirming exosome administration: {n}").format(n=s["included"]),
        _("Institutions: {n}").format(n=s["institutions_included"]),
        "",
    ]
    for inst in report["institutions"]:
        lines.append(f"{inst['name'] or '-'}  ({inst['institution']})")
        lines += [f"    {url}" for url in inst["urls"]]
    labels = {"included": _("included"), "excluded": _("excluded"), "not_confirmed": _("not confirmed")}
    lines.append("")
    for r in report["results"]:
        lines.append(f"{labels[r['decision']]:<14} {r['url']}  {r['reason']}")
    return "\n".join(lines) + "\n"
