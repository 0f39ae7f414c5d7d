"""Handlers of `evqms landscape trials ingest|report|override`."""

from __future__ import annotations

import datetime as dt
import sys

from evqms.cliutil import emit, read_bytes, to_json
from evqms.errors import InputError
from evqms.i18n import _
from evqms.landscape.store import RawInput, TrialStore, parse_date
from evqms.landscape.trial_inputs import load_inputs
from evqms.landscape.trials import Loaded, latest_versions, load_studies


def _store(args):
    """The file store, or with --db the database (Django is set up here, not at import).

    An explicit flag rather than "Django is set up": inside a Django process (tests, a shell)
    the offline file path must stay the default, and a user must see which store answered."""
    if getattr(args, "db", False):
        from evqms.startup import setup_django

        setup_django()
        from evqms.landscape.db_store import DbTrialStore

        return DbTrialStore()
    return TrialStore()


def _date_or_today(text: str | None, where: str) -> dt.date:
    return parse_date(text, where) if text else dt.date.today()


def _load_files(paths: list[str]) -> tuple[list[RawInput], Loaded]:
    return load_inputs([RawInput(path, read_bytes(path)) for path in paths])


def _load_online(args) -> tuple[list[RawInput], Loaded, str]:
    from evqms.landscape.ctgov_client import CtgovClient

    if not (args.query or args.intr or args.advanced):
        raise InputError(_("--online needs --query (or --intr / --advanced)"), where="--query")
    client = CtgovClient(args.base_url)
    raws, result = [], Loaded()
    with client.http:
        for page in client.search(term=args.query, intr=args.intr, advanced=args.advanced):
            raws.append(RawInput(page.url, page.raw))
            loaded = load_studies(page.raw, page.url)
            result.trials += loaded.trials
            result.problems += loaded.problems
            if result.total_count is None:
                result.total_count = page.total_count
    return raws, result, client.base


def _ingest_files_db(paths: list[str], as_of: dt.date):
    """--db with files: the service the web upload uses too (lenient: bad files are reported)."""
    from evqms.startup import setup_django

    setup_django()
    from evqms.landscape import services
    from evqms.landscape.selectors import ingest_manifest

    done = services.ingest_trial_files(
        actor=None, as_of=as_of, raw_inputs=[RawInput(p, read_bytes(p)) for p in paths]
    )
    return done.inputs, done.loaded, ingest_manifest(done.ingest)


def _add_to_store(args, as_of, source, query, raws, loaded: Loaded) -> dict:
    if not loaded.trials and any(p.skipped for p in loaded.problems):
        raise InputError("; ".join(str(p) for p in loaded.problems if p.skipped))
    return _store(args).add_ingest(
        as_of=as_of,
        source=source,
        query=query,
        raw_inputs=raws,
        trials=latest_versions(loaded.trials),
        problems=[str(p) for p in loaded.problems],
    )


def run_ingest(args) -> int:
    as_of = _date_or_today(args.as_of, "--as-of")
    if args.online and args.files:
        raise InputError(_("give either files or --online, not both"), where="--online")
    if args.online:
        raws, loaded, source = _load_online(args)
        query = " | ".join(
            f"{k}={v}"
            for k, v in (
                ("query.term", args.query),
                ("query.intr", args.intr),
                ("filter.advanced", args.advanced),
            )
            if v
        )
        manifest = _add_to_store(args, as_of, source, query, raws, loaded)
    elif args.files and getattr(args, "db", False):
        raws, loaded, manifest = _ingest_files_db(args.files, as_of)
    elif args.files:
        raws, loaded = _load_files(args.files)
        manifest = _add_to_store(args, as_of, "files", None, raws, loaded)
    else:
        raise InputError(_("give study JSON files or --online --query TEXT"), where="FILE")
    skipped = [p for p in loaded.problems if p.skipped]
    for problem in loaded.problems:
        label = _("skipped") if problem.skipped else _("warning")
        print(f"evqms: {label}: {problem}", file=sys.stderr)
    if args.format == "json":
        emit(to_json(manifest), args.output)
    else:
        text = _("ingest {id}: {n} trials from {inputs} inputs, as of {date}").format(
            id=manifest["id"], n=manifest["records"], inputs=len(raws), date=manifest["as_of"]
        )
        if loaded.total_count is not None and loaded.total_count != manifest["records"]:
            text += "\n" + _("note: the server reported {total} studies in total").format(
                total=loaded.total_count
            )
        if skipped:
            text += "\n" + _("{n} records skipped (see the messages above)").format(n=len(skipped))
        emit(text, args.output)
    return 1 if skipped else 0


def run_report(args) -> int:
    from evqms.landscape import trials_report

    as_of = _date_or_today(args.as_of, "--as-of")
    store = _store(args)
    trials, sources = store.records_as_of(as_of)
    report = trials_report.build_report(
        trials, as_of=as_of, sources=sources, overrides=store.overrides_as_of(as_of)
    )
    if args.format == "json":
        emit(to_json(report), args.output)
    elif args.format == "csv":
        emit(trials_report.render_csv(report), args.output)
    else:
        emit(trials_report.render_text(report), args.output)
    return 0


def run_override(args) -> int:
    import re

    if not re.fullmatch(r"NCT\d{8}", args.nct_id):
        raise InputError(_("not an NCT number: {value}").format(value=args.nct_id), where="NCT_ID")
    if not args.who.strip() or not args.why.strip():
        raise InputError(_("--who and --why must not be empty"), where="--who")
    when = _date_or_today(args.when, "--when")
    row = {
        "nct_id": args.nct_id,
        "category": args.category,
        "who": args.who.strip(),
        "why": args.why.strip(),
        "when": when.isoformat(),
        "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    _store(args).add_override(row)
    emit(
        _("override recorded: {nct} is {category} from {when}").format(
            nct=args.nct_id, category=args.category, when=row["when"]
        )
    )
    return 0
