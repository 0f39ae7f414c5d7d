"""`evqms landscape trials|pubmed|clinics ...`: the argparse tree; the work is done by the
handler modules, imported only when a command runs so that `evqms --help` stays quick."""

from __future__ import annotations

import importlib

from evqms.i18n import _, gettext


def _handler(module: str, function: str):
    def run(args) -> int:
        return getattr(importlib.import_module(module), function)(args)

    return run


def _sub(parent, name: str, help_text: str, example: str):
    parser = parent.add_parser(name, help=help_text, description=help_text, epilog=example)
    return parser


def _formats(parser, choices: tuple[str, ...], default: str = "text") -> None:
    parser.add_argument("--format", choices=choices, default=default, help=_("output format"))
    parser.add_argument(
        "-o", "--output", metavar="FILE", help=_("write to FILE (atomically) instead of stdout")
    )


def _db_option(parser) -> None:
    parser.add_argument(
        "--db",
        action="store_true",
        help=gettext("use the evqms database (as the web pages do) instead of the files under $EVQMS_HOME"),
    )


def register(subparsers) -> None:
    landscape = _sub(
        subparsers,
        "landscape",
        _("Monitor the EV field: clinical trials, literature, clinics"),
        _("Example: evqms landscape trials report --as-of 2023-10-30"),
    )
    areas = landscape.add_subparsers(dest="landscape_area", metavar="AREA", parser_class=type(landscape))
    landscape.set_defaults(handler=lambda args: landscape.print_help() or 2)
    _register_trials(areas)
    _register_pubmed(areas)
    _register_clinics(areas)


def _register_trials(areas) -> None:
    trials = _sub(
        areas,
        "trials",
        _("EV clinical trials from ClinicalTrials.gov (API v2)"),
        _("Example: evqms landscape trials ingest studies.json --as-of 2023-10-30"),
    )
    trial_cmds = trials.add_subparsers(dest="trials_command", metavar="COMMAND", parser_class=type(trials))
    trials.set_defaults(handler=lambda args: trials.print_help() or 2)

    ingest = _sub(
        trial_cmds,
        "ingest",
        _("Store a dated snapshot of trial records (saved JSON or online)"),
        _('Example: evqms landscape trials ingest --online --query "exosome OR extracellular vesicle"'),
    )
    ingest.add_argument("files", nargs="*", metavar="FILE", help=_("saved API v2 study or search-page JSON"))
    ingest.add_argument(
        "--online", action="store_true", help=_("search ClinicalTrials.gov instead of reading files")
    )
    ingest.add_argument("--query", help=_("search terms (query.term) for --online"))
    ingest.add_argument("--intr", help=_("intervention terms (query.intr) for --online"))
    ingest.add_argument("--advanced", help=_("filter.advanced expression for --online"))
    ingest.add_argument("--base-url", help=_("API base URL (default https://clinicaltrials.gov/api/v2)"))
    ingest.add_argument("--as-of", help=_("date of the snapshot, YYYY-MM-DD (default today)"))
    _formats(ingest, ("text", "json"))
    _db_option(ingest)
    ingest.set_defaults(handler=_handler("evqms.landscape.cli.trials", "run_ingest"))

    report = _sub(
        trial_cmds,
        "report",
        _("Counts by phase and category as of a date, and late-phase trials"),
        _("Example: evqms landscape trials report --as-of 2023-10-30 --format json"),
    )
    report.add_argument("--as-of", help=_("report the records as they were on this date (default today)"))
    _formats(report, ("text", "json", "csv"))
    _db_option(report)
    report.set_defaults(handler=_handler("evqms.landscape.cli.trials", "run_report"))

    override = _sub(
        trial_cmds,
        "override",
        _("Record a manual classification of a trial (who, when, why)"),
        _(
            'Example: evqms landscape trials override NCT01234567 --category biomarker --who "A. Sato" '
            '--why "EVs only measured"'
        ),
    )
    override.add_argument("nct_id", metavar="NCT_ID")
    override.add_argument("--category", required=True, choices=("therapeutic", "biomarker", "unrelated"))
    override.add_argument("--who", required=True, help=_("the person deciding"))
    override.add_argument("--why", required=True, help=_("the reason"))
    override.add_argument("--when", help=_("date it applies from, YYYY-MM-DD (default today)"))
    _db_option(override)
    override.set_defaults(handler=_handler("evqms.landscape.cli.trials", "run_override"))


def _register_pubmed(areas) -> None:
    pubmed = _sub(
        areas,
        "pubmed",
        _("Literature growth: PubMed records per publication year"),
        _("Example: evqms landscape pubmed counts --series seed --from 2010 --to 2023"),
    )
    pubmed_cmds = pubmed.add_subparsers(dest="pubmed_command", metavar="COMMAND", parser_class=type(pubmed))
    pubmed.set_defaults(handler=lambda args: pubmed.print_help() or 2)
    counts = _sub(
        pubmed_cmds,
        "counts",
        _("PubMed records per publication year for a query"),
        _(
            'Example: evqms landscape pubmed counts --query \'"Extracellular Vesicle" "Therapy"\' '
            "--from 2010 --to 2023"
        ),
    )
    which = counts.add_mutually_exclusive_group(required=True)
    which.add_argument("--query", help=_("PubMed query"))
    which.add_argument("--series", choices=("seed", "broad"), help=_("a named query: seed or broad"))
    counts.add_argument("--from", dest="year_from", type=int, required=True, metavar="YEAR")
    counts.add_argument("--to", dest="year_to", type=int, required=True, metavar="YEAR")
    counts.add_argument("--offline", action="store_true", help=_("use the cached counts only"))
    counts.add_argument("--base-url", help=_("E-utilities base URL"))
    _formats(counts, ("text", "json"))
    _db_option(counts)
    counts.set_defaults(handler=_handler("evqms.landscape.cli.pubmed", "run_counts"))


def _register_clinics(areas) -> None:
    clinics = _sub(
        areas,
        "clinics",
        _("Survey of clinics that advertise exosome administration"),
        _("Example: evqms landscape clinics classify crawl.warc.gz --format json"),
    )
    clinic_cmds = clinics.add_subparsers(
        dest="clinics_command", metavar="COMMAND", parser_class=type(clinics)
    )
    clinics.set_defaults(handler=lambda args: clinics.print_help() or 2)
    classify = _sub(
        clinic_cmds,
        "classify",
        _("Classify every search result of a crawl (WARC or JSONL manifest)"),
        _("Example: evqms landscape clinics classify crawl/manifest.jsonl --format csv"),
    )
    classify.add_argument("input", nargs="?", metavar="INPUT", help=_("a WARC file or a JSONL manifest"))
    classify.add_argument(
        "--online", action="store_true", help=_("crawl now (saved to a dated WARC), then classify")
    )
    _crawl_options(classify)
    _formats(classify, ("json", "csv", "text"), default="json")
    _db_option(classify)
    classify.set_defaults(handler=_handler("evqms.landscape.cli.clinics", "run_classify"))
    crawl = _sub(
        clinic_cmds,
        "crawl",
        _("Search and fetch the result pages into a dated WARC file"),
        _("Example: evqms landscape clinics crawl --query エクソソーム注射 --max-results 30"),
    )
    _crawl_options(crawl)
    crawl.add_argument(
        "--warc", metavar="FILE", help=_("WARC file to write (default a dated file in the store)")
    )
    crawl.set_defaults(handler=_handler("evqms.landscape.cli.clinics", "run_crawl"))


def _crawl_options(parser) -> None:
    parser.add_argument(
        "--query", action="append", help=_("search query (repeatable; default the seed's seven)")
    )
    parser.add_argument("--search-url", help=_("search backend URL (default DuckDuckGo HTML)"))
    parser.add_argument("--max-results", type=int, default=100, help=_("result pages to fetch per query"))
