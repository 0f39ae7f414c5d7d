"""Handlers of `evqms landscape trials ingest|report|override`."""

from __future__ import annotations

import datetime as dt
import sys

from evqms.cliutil import emit, read_bytes, to_json
from evqms.errors import InputError
from evqms.i18n import _
from evqms.landscape.store import RawInput, TrialStore, parse_date
from evqms.landscape.trials import Loaded, Problem, latest_versions, load_studies


def _store(args):
    """The file store, or with --db the database (Django is set up here, not at import).

    An explicit flag rather than "Django is set up": inside a Django process (tests, a shell)
    the offline file path must stay the default, and a user must see which store answered."""
    if getattr(args, "db", False):
        from evqms.djcli import setup_django

        setup_django()
        from evqms.landscape.db_store import DbTrialStore

        return DbTrialStore()
    return TrialStore()


def _date_or_today(text: str | None, where: str) -> dt.date:
    return parse_date(text, where) if text else dt.date.today()


def _load_files(paths: list[str]) -> tuple[list[RawInput], Loaded]:
    raws, result = [], Loaded()
    for path in paths:
        raw = RawInput(path, read_bytes(path))
        try:
            loaded = load_studies(raw.data, path)
        except InputError as exc:  # one bad file is reported; the other files go on
            result.problems.append(Problem(exc.where or path, exc.message))
            continue
        raws.append(raw)
        result.trials += loaded.trials
        result.problems += loaded.problems
    return raws, result


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
    elif args.files:
        raws, loaded = _load_files(args.files)
        source, query = "files", None
    else:
        raise InputError(_("give study JSON files or --online --query TEXT"), where="FILE")
    skipped = [p for p in loaded.problems if p.skipped]
    if not loaded.trials and skipped:
        raise InputError("; ".join(str(p) for p in skipped))
    trials = latest_versions(loaded.trials)
    manifest = _store(args).add_ingest(
        as_of=as_of,
        source=source,
        query=query,
        raw_inputs=raws,
        trials=trials,
        problems=[str(p) for p in loaded.problems],
    )
    for problem in loaded.problems:
        label = _("skipped") if problem.skipped else _("warning")
        print(f"evqms: {label}: {problem}", file=sys.stderr)
    if args.format == "json":
        emit(to_json(manifest), args.output)
    else:
        text = _("ingest {id}: {n} trials from {inputs} inputs, as of {date}").format(
            id=manifest["id"], n=manifest["records"], inputs=len(raws), date=manifest["as_of"]
        )
        if loaded.total_count is not None and loaded.total_count != len(trials):
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
