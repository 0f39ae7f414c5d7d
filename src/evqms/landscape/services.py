"""Writes of the landscape monitor: trial ingests, audited manual overrides, PubMed series and
clinic-survey runs. Each runs in one transaction and writes its audit event in it.

`actor=None` is the command line acting as the system (whoever runs `evqms ... --db` already
holds the database); a user given as actor must have the role for the action.
The raw inputs are kept unchanged under MEDIA_ROOT/landscape/ with their sha256.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.errors import InputError
from evqms.i18n import gettext
from evqms.landscape.classify_trials import CATEGORIES
from evqms.landscape.models import (
    ClinicResult,
    ClinicResultOverride,
    ClinicSurveyRun,
    Ingest,
    PubmedCount,
    PubmedSeries,
    TrialOverride,
    TrialRecord,
)
from evqms.landscape.store import RawInput, sha256
from evqms.landscape.trials import Loaded

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_NCT = re.compile(r"NCT\d{8}")


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _check_actor(actor, perm: str) -> None:
    if actor is not None:
        require(actor, perm)


def _keep_files(folder: Path, raw_inputs: list[RawInput]) -> list[dict[str, Any]]:
    """Write each raw input unchanged into `folder`; (name, stored path, sha256, size) each."""
    folder.mkdir(parents=True, exist_ok=False)
    inputs = []
    for n, raw in enumerate(raw_inputs, start=1):
        stored = f"{n:04d}_{_SAFE.sub('_', Path(raw.name).name or 'input')[-80:]}"
        (folder / stored).write_bytes(raw.data)
        inputs.append(
            {"name": raw.name, "stored": f"raw/{stored}", "sha256": sha256(raw.data), "bytes": len(raw.data)}
        )
    return inputs


def _record_fields(trial: dict[str, Any]) -> dict[str, Any]:
    def text(key: str, size: int | None = None) -> str:
        value = trial.get(key) or ""
        return str(value)[:size] if size else str(value)

    return {
        "nct_id": trial["nct_id"],
        "brief_title": text("brief_title"),
        "official_title": text("official_title"),
        "acronym": text("acronym", 200),
        "overall_status": text("overall_status", 60),
        "study_type": text("study_type", 60),
        "phases": list(trial.get("phases") or []),
        "phase_bucket": trial["phase_bucket"],
        "conditions": list(trial.get("conditions") or []),
        "start_date": text("start_date", 10),
        "completion_date": text("completion_date", 10),
        "sponsor": text("sponsor", 300),
        "countries": list(trial.get("countries") or []),
        "enrollment": trial.get("enrollment") if isinstance(trial.get("enrollment"), int) else None,
        "version_date": text("version_date", 10),
        "data": trial,
    }


@transaction.atomic
def ingest_trials(
    *,
    actor,
    as_of: dt.date,
    source: str,
    query: str | None,
    raw_inputs: list[RawInput],
    trials: list[dict[str, Any]],
    problems: list[str],
) -> Ingest:
    """Store one dated snapshot: the raw inputs (kept unchanged) and the normalised records."""
    _check_actor(actor, "landscape.store_snapshot")
    seen = Counter(t["nct_id"] for t in trials)
    duplicates = {nct for nct, n in seen.items() if n > 1}
    if duplicates:
        raise InputError(
            gettext("the same trial twice in one ingest: {ids}").format(ids=", ".join(sorted(duplicates))),
            where="nct_id",
        )
    now = timezone.now().astimezone(dt.UTC)
    digest = sha256(b"".join(sha256(r.data).encode() for r in raw_inputs))
    key = f"{as_of.isoformat()}_{now:%Y%m%dT%H%M%S%f}_{digest[:8]}"
    relative = Path("landscape") / "ingests" / key
    folder = media_root() / relative
    # Written under a temporary name and renamed into place once the rows are written: a killed
    # ingest leaves only a ".tmp-" folder, which `evqms files verify --orphans --remove` clears.
    staging = folder.parent / f".tmp-{key}"
    try:
        inputs = _keep_files(staging / "raw", raw_inputs)
        ingest = Ingest.objects.create(
            key=key,
            as_of=as_of,
            ingested_at=now,
            source=source,
            query=query or "",
            raw_sha256=digest,
            raw_path=str(relative),
            inputs=inputs,
            problems=list(problems),
            record_count=len(trials),
            created_by=actor,
        )
        TrialRecord.objects.bulk_create(
            [TrialRecord(ingest=ingest, **_record_fields(t)) for t in trials], batch_size=500
        )
        record_event(
            actor=actor,
            action="landscape.trials_ingest",
            object_type="landscape_ingest",
            object_id=ingest.pk,
            after={
                "key": key,
                "as_of": as_of,
                "source": source,
                "query": query or "",
                "raw_sha256": digest,
                "records": len(trials),
                "inputs": [{"name": i["name"], "sha256": i["sha256"]} for i in inputs],
            },
        )
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # nothing half-written
        raise
    return ingest


@transaction.atomic
def override_trial_category(
    *, actor, nct_id: str, category: str, reason: str, effective_from: dt.date | None = None
) -> TrialOverride:
    """A QA reviewer's or administrator's decision on a trial's category, with its reason."""
    from evqms.landscape import selectors

    require(actor, "landscape.override_trial")
    nct_id = (nct_id or "").strip().upper()
    if not _NCT.fullmatch(nct_id):
        raise InputError(gettext("not an NCT number: {value}").format(value=nct_id), where="nct_id")
    if category not in CATEGORIES:
        raise InputError(
            gettext("unknown category {value}; choose from {choices}").format(
                value=category, choices=", ".join(CATEGORIES)
            ),
            where="category",
        )
    reason = (reason or "").strip()
    if not reason:
        raise InputError(gettext("a reason is required for a manual classification"), where="reason")
    if not TrialRecord.objects.filter(nct_id=nct_id).exists():
        raise InputError(gettext("no ingest holds trial {nct}").format(nct=nct_id), where="nct_id")
    effective_from = effective_from or timezone.localdate()
    before = selectors.current_classification(nct_id, effective_from)
    override = TrialOverride.objects.create(
        nct_id=nct_id,
        category=category,
        reason=reason,
        effective_from=effective_from,
        recorded_at=timezone.now(),
        recorded_by=actor,
        who=actor.signature_name() if hasattr(actor, "signature_name") else actor.get_username(),
    )
    record_event(
        actor=actor,
        action="landscape.trial_override",
        object_type="trial",
        object_id=nct_id,
        before=before,
        after={"category": category, "effective_from": effective_from, "override_id": override.pk},
        reason=reason,
    )
    return override


CLINIC_DECISIONS = ("included", "excluded", "not_confirmed")


@transaction.atomic
def override_clinic_decision(*, actor, result_id: int, decision: str, reason: str) -> ClinicResultOverride:
    """A reviewer's decision on one clinic-survey result (seed section 6 leaves the reading of a page
    to a person when the rule is wrong), with its reason, in the audit trail."""
    require(actor, "landscape.override_clinic")
    if decision not in CLINIC_DECISIONS:
        raise InputError(
            gettext("unknown decision {value}; choose from {choices}").format(
                value=decision, choices=", ".join(CLINIC_DECISIONS)
            ),
            where="decision",
        )
    reason = (reason or "").strip()
    if not reason:
        raise InputError(gettext("a reason is required to change a decision"), where="reason")
    result = ClinicResult.objects.filter(pk=result_id).first()
    if result is None:
        raise InputError(gettext("no clinic-survey result {id}").format(id=result_id), where="result")
    latest = result.overrides.order_by("-recorded_at", "-id").first()
    before = {
        "decision": latest.decision if latest else result.decision,
        "by": "review" if latest else "rule",
    }
    override = ClinicResultOverride.objects.create(
        result=result,
        decision=decision,
        reason=reason,
        recorded_at=timezone.now(),
        recorded_by=actor,
        who=actor.signature_name() if hasattr(actor, "signature_name") else actor.get_username(),
    )
    record_event(
        actor=actor,
        action="landscape.clinic_override",
        object_type="landscape_clinic_result",
        object_id=result.pk,
        before=before,
        after={"decision": decision, "url": result.url, "override_id": override.pk},
        reason=reason,
    )
    return override


@transaction.atomic
def save_pubmed_series(
    *, actor, name: str, query: str, source: str, rows: list[dict[str, Any]]
) -> PubmedSeries:
    """Counts per year as `pubmed.yearly_counts` returns them ({year, count, retrieved, url})."""
    _check_actor(actor, "landscape.store_snapshot")
    if not rows:
        raise InputError(gettext("no yearly counts to store"), where="counts")
    dates = []
    for row in rows:
        try:
            dates.append(dt.date.fromisoformat(str(row["retrieved"])[:10]))
        except (KeyError, ValueError):
            raise InputError(
                gettext("count for {year} has no retrieval date").format(year=row.get("year")),
                where="retrieved",
            ) from None
    years = [int(r["year"]) for r in rows]
    series = PubmedSeries.objects.create(
        name=name,
        query=query,
        source=source,
        retrieved_on=max(dates),
        year_from=min(years),
        year_to=max(years),
        created_at=timezone.now(),
        created_by=actor,
    )
    PubmedCount.objects.bulk_create(
        [
            PubmedCount(
                series=series,
                year=int(r["year"]),
                count=int(r["count"]),
                retrieved_on=d,
                url=r.get("url") or "",
            )
            for r, d in zip(rows, dates, strict=True)
        ]
    )
    record_event(
        actor=actor,
        action="landscape.pubmed_series",
        object_type="landscape_pubmed_series",
        object_id=series.pk,
        after={
            "name": name,
            "query": query,
            "source": source,
            "retrieved_on": series.retrieved_on,
            "counts": {str(y): int(r["count"]) for y, r in zip(years, rows, strict=True)},
        },
    )
    return series


@transaction.atomic
def save_clinic_survey(
    *,
    actor,
    input_name: str,
    raw: bytes,
    report: dict[str, Any],
    surveyed_on: dt.date,
    source: str,
    queries: list[str] | None = None,
    report_ja: dict[str, Any] | None = None,
) -> ClinicSurveyRun:
    """A classified crawl (`clinic_survey.survey`'s report, worded in English) with its input kept
    unchanged; `report_ja`, the same survey worded in Japanese, gives each result's Japanese reason."""
    _check_actor(actor, "landscape.store_snapshot")
    digest = sha256(raw)
    now = timezone.now()
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    relative = Path("landscape") / "clinics" / f"{surveyed_on.isoformat()}_{stamp}_{digest[:12]}"
    folder = media_root() / relative
    stored_name = _SAFE.sub("_", Path(input_name).name)[-80:] or "input"
    staging = folder.parent / f".tmp-{folder.name}"  # renamed into place at the end (see ingest_trials)
    ja = {r["url"]: r["reason"] for r in (report_ja or {}).get("results", [])}
    found_queries = sorted({q for r in report["results"] for q in r.get("queries") or []})
    try:
        staging.mkdir(parents=True, exist_ok=False)
        (staging / stored_name).write_bytes(raw)
        run = ClinicSurveyRun.objects.create(
            input_name=input_name,
            sha256=digest,
            raw_path=str(relative / stored_name),
            surveyed_on=surveyed_on,
            source=source,
            queries=list(queries or found_queries),
            summary=dict(report["summary"]),
            institutions=list(report.get("institutions") or []),
            problems=list(report.get("problems") or []),
            created_at=now,
            created_by=actor,
        )
        ClinicResult.objects.bulk_create(
            [
                ClinicResult(
                    run=run,
                    url=r["url"],
                    decision=r["decision"],
                    reason=r["reason"],
                    reason_ja=ja.get(r["url"], ""),
                    matched=list(r.get("matched") or []),
                    sentence=r.get("sentence") or "",
                    institution=(r.get("institution") or "")[:300],
                    institution_name=(r.get("institution_name") or "")[:300],
                    title=r.get("title") or "",
                    queries=list(r.get("queries") or []),
                )
                for r in report["results"]
            ],
            batch_size=500,
        )
        record_event(
            actor=actor,
            action="landscape.clinic_survey",
            object_type="landscape_clinic_survey",
            object_id=run.pk,
            after={
                "input": input_name,
                "sha256": digest,
                "surveyed_on": surveyed_on,
                "source": source,
                "summary": run.summary,
            },
        )
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return run


def survey_in_both_languages(crawl, backend) -> tuple[dict[str, Any], dict[str, Any]]:
    """The clinic survey worded in English (stored) and in Japanese (each result's reason_ja)."""
    from evqms.i18n import use_language
    from evqms.landscape import clinic_survey

    with use_language("en"):
        english = clinic_survey.survey(crawl, backend)
    with use_language("ja"):
        japanese = clinic_survey.survey(crawl, backend)
    return english, japanese


# --- files: the same path for `evqms landscape ... --db` and the web upload --------------------


@dataclass
class TrialFilesIngest:
    ingest: Ingest
    inputs: list[RawInput]  # the files that were read (lenient: a bad file is left out)
    loaded: Loaded  # their trials and problems


def ingest_trial_files(
    *, actor, as_of: dt.date, raw_inputs: list[RawInput], strict: bool = False
) -> TrialFilesIngest:
    """Saved API v2 JSON files -> one dated snapshot. Lenient (the CLI): bad files and records
    are left out and listed as problems. Strict (the web upload): the whole input or nothing."""
    from evqms.landscape.trial_inputs import load_inputs
    from evqms.landscape.trials import latest_versions

    _check_actor(actor, "landscape.store_snapshot")
    kept, loaded = load_inputs(raw_inputs, strict=strict)
    skipped = [p for p in loaded.problems if p.skipped]
    if not loaded.trials and skipped:
        raise InputError("; ".join(str(p) for p in skipped))
    ingest = ingest_trials(
        actor=actor,
        as_of=as_of,
        source="files",
        query=None,
        raw_inputs=kept,
        trials=latest_versions(loaded.trials),
        problems=[str(p) for p in loaded.problems],
    )
    return TrialFilesIngest(ingest, kept, loaded)


def crawl_date(crawl) -> dt.date:
    """The date of a crawl: its latest retrieval date (today when the records carry none)."""
    dates = sorted(r.retrieved[:10] for r in crawl.records if r.retrieved and len(r.retrieved) >= 10)
    try:
        return dt.date.fromisoformat(dates[-1]) if dates else dt.date.today()
    except ValueError:
        return dt.date.today()


def store_clinic_crawl(
    *, actor, input_name: str, raw: bytes, crawl, backend, strict: bool = False
) -> ClinicSurveyRun:
    """A read crawl, classified in both languages, stored with its input file as a survey run.
    Strict (the web upload): a skipped (damaged or truncated) record refuses the whole file."""
    _check_actor(actor, "landscape.store_snapshot")
    if strict:
        for problem in crawl.problems:
            if problem.skipped:
                raise InputError(problem.message, where=problem.where)
        if not crawl.records:
            raise InputError(gettext("the crawl holds no record"), where=Path(input_name).name)
    english, japanese = survey_in_both_languages(crawl, backend)
    return save_clinic_survey(
        actor=actor,
        input_name=input_name,
        raw=raw,
        report=english,
        report_ja=japanese,
        surveyed_on=crawl_date(crawl),
        source=backend.name,
    )


def ingest_clinic_upload(*, actor, name: str, raw: bytes) -> ClinicSurveyRun:
    """An uploaded WARC crawl (one self-contained file; a JSONL manifest points at page files
    beside it, which an upload does not bring), the whole file or nothing."""
    from evqms.landscape.crawl import DuckDuckGoHtml, read_warc

    _check_actor(actor, "landscape.store_snapshot")
    base = _SAFE.sub("_", Path(name.replace("\\", "/")).name)[-80:] or "crawl.warc"
    if not base.lower().endswith((".warc", ".warc.gz")):
        raise InputError(
            gettext(
                "a crawl upload is one WARC file (.warc or .warc.gz); a JSONL manifest needs its page files"
            ),
            where=base,
        )
    backend = DuckDuckGoHtml()
    with tempfile.TemporaryDirectory() as tmp:  # warcio reads a file; keep the name for messages
        path = Path(tmp) / base
        path.write_bytes(raw)
        crawl = read_warc(path, backend)
    return store_clinic_crawl(
        actor=actor, input_name=base, raw=raw, crawl=crawl, backend=backend, strict=True
    )
