"""Handlers of `evqms landscape clinics crawl|classify`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from evqms.cliutil import emit, to_json
from evqms.errors import InputError
from evqms.i18n import _
from evqms.landscape.crawl import SEED_QUERIES, DuckDuckGoHtml, fetch_crawl, read_crawl, write_warc
from evqms.landscape.store import landscape_home


def _crawl_to_warc(args, target: str | None) -> Path:
    from evqms.landscape.http import PoliteClient

    if args.max_results < 1:
        raise InputError(_("must be at least 1"), where="--max-results")
    backend = DuckDuckGoHtml(args.search_url)
    with PoliteClient() as http:
        crawl = fetch_crawl(
            args.query or SEED_QUERIES, backend=backend, http=http, max_results=args.max_results
        )
    for problem in crawl.problems:
        print(f"evqms: {_('not fetched')}: {problem}", file=sys.stderr)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = Path(target) if target else landscape_home() / "crawls" / f"clinics-{stamp}.warc.gz"
    return write_warc(path, crawl.records)


def run_crawl(args) -> int:
    path = _crawl_to_warc(args, args.warc)
    emit(_("crawl saved to {path}").format(path=path))
    return 0


def run_classify(args) -> int:
    from evqms.landscape import clinic_survey

    if args.online and args.input:
        raise InputError(_("give either INPUT or --online, not both"), where="INPUT")
    if args.online:
        source = _crawl_to_warc(args, None)
        print(_("crawl saved to {path}").format(path=source), file=sys.stderr)
    elif args.input:
        source = Path(args.input)
    else:
        raise InputError(_("give a WARC file or JSONL manifest, or --online"), where="INPUT")
    backend = DuckDuckGoHtml(args.search_url)
    crawl = read_crawl(source, backend)
    report = clinic_survey.survey(crawl, backend)
    report["input"] = str(source)
    if getattr(args, "db", False):
        _save(source, crawl, report, backend)
    for problem in report["problems"]:
        print(f"evqms: {_('warning')}: {problem}", file=sys.stderr)
    if args.format == "json":
        emit(to_json(report), args.output)
    elif args.format == "csv":
        emit(clinic_survey.render_csv(report), args.output)
    else:
        emit(clinic_survey.render_text(report), args.output)
    return 1 if report["skipped"] else 0


def _save(source: Path, crawl, report, backend) -> None:
    """--db: the classified run and its input file become a survey run in the database."""
    from evqms.startup import setup_django

    setup_django()
    from evqms.landscape import services

    run = services.store_clinic_crawl(
        actor=None, input_name=str(source), raw=source.read_bytes(), crawl=crawl, backend=backend
    )
    report["db_run_id"] = run.pk
