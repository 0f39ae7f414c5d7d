"""Handler of `evqms landscape pubmed counts`."""

from __future__ import annotations

from evqms.cliutil import emit, to_json
from evqms.landscape import pubmed


def run_counts(args) -> int:
    query = pubmed.SERIES[args.series] if args.series else args.query
    client = None if args.offline else pubmed.PubmedClient(args.base_url)
    try:
        rows = pubmed.yearly_counts(query, args.year_from, args.year_to, offline=args.offline, client=client)
    finally:
        if client:
            client.http.close()
    if getattr(args, "db", False):
        _save(args, query, rows, client)
    if args.format == "json":
        emit(
            to_json(
                {
                    "query": query,
                    "series": args.series,
                    "database": "pubmed",
                    "datetype": "pdat",
                    "counts": rows,
                    "total": sum(r["count"] for r in rows),
                }
            ),
            args.output,
        )
    else:
        emit(pubmed.render_text(query, rows), args.output)
    return 0


def _save(args, query, rows, client) -> None:
    """--db: the counts become a dated series in the database (what the web page charts)."""
    from evqms.startup import setup_django

    setup_django()
    from evqms.landscape import services

    source = client.base if client else pubmed.base_url()
    services.save_pubmed_series(
        actor=None, name=args.series or "custom", query=query, source=f"{source} (pubmed, pdat)", rows=rows
    )
