"""Reads of the landscape monitor, each "as of" a date: the records, counts and survey runs
dated on or before it (so a page for a past date shows what was known then)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from evqms.landscape import trials_report
from evqms.landscape.classify_trials import CATEGORIES, apply_override, classify_trial
from evqms.landscape.db_store import DbTrialStore, manifest, override_row
from evqms.landscape.models import (
    ClinicResult,
    ClinicSurveyRun,
    Ingest,
    PubmedSeries,
    TrialOverride,
    TrialRecord,
)
from evqms.landscape.trials import BUCKETS


def snapshot_dates() -> list[dt.date]:
    """Every date on which something was retrieved, newest first (for the as-of selector)."""
    dates = set(Ingest.objects.values_list("as_of", flat=True).distinct())
    dates |= set(PubmedSeries.objects.values_list("retrieved_on", flat=True).distinct())
    dates |= set(ClinicSurveyRun.objects.values_list("surveyed_on", flat=True).distinct())
    return sorted(dates, reverse=True)


def start_year(trial: dict[str, Any]) -> str | None:
    date = trial.get("start_date") or ""
    return date[:4] if len(date) >= 4 and date[:4].isdigit() else None


def trials_report_as_of(as_of: dt.date) -> dict[str, Any]:
    """The CLI's report (`trials_report.build_report`) on the database, plus counts by start year."""
    store = DbTrialStore()
    trials, sources = store.records_as_of(as_of)
    report = trials_report.build_report(
        trials, as_of=as_of, sources=sources, overrides=store.overrides_as_of(as_of)
    )
    category_of = {t["nct_id"]: t["category"] for t in report["trials"]}
    years = sorted({y for y in (start_year(t) for t in trials) if y})
    by_year = {c: dict.fromkeys(years, 0) for c in CATEGORIES}
    undated = dict.fromkeys(CATEGORIES, 0)
    for trial in trials:
        year = start_year(trial)
        if year:
            by_year[category_of[trial["nct_id"]]][year] += 1
        else:
            undated[category_of[trial["nct_id"]]] += 1
    report["by_start_year"] = by_year
    report["start_years"] = years
    report["undated"] = undated
    titles = {t["nct_id"]: t.get("brief_title") or "" for t in trials}
    for row in report["trials"]:
        row["title"] = titles[row["nct_id"]]
    return report


def chart_data(report: dict[str, Any]) -> dict[str, Any]:
    """What the two trial charts draw (labels and one series per category)."""
    return {
        "phases": {
            "labels": list(BUCKETS),
            "series": {c: [report["counts"][c][b] for b in BUCKETS] for c in CATEGORIES},
        },
        "years": {
            "labels": report["start_years"],
            "series": {c: [report["by_start_year"][c][y] for y in report["start_years"]] for c in CATEGORIES},
        },
    }


def current_classification(nct_id: str, as_of: dt.date) -> dict[str, Any] | None:
    """The category a trial has on `as_of` (its latest record, the override in force), or None."""
    record = latest_record(nct_id, as_of)
    if record is None:
        return None
    override = (
        TrialOverride.objects.filter(nct_id=nct_id, effective_from__lte=as_of)
        .select_related("recorded_by")
        .order_by("id")
        .last()
    )
    result = apply_override(classify_trial(record.data), override_row(override) if override else None)
    return {"category": result.category, "rule": result.rule, "reason": result.reason}


def latest_record(nct_id: str, as_of: dt.date) -> TrialRecord | None:
    return (
        TrialRecord.objects.filter(nct_id=nct_id, ingest__as_of__lte=as_of)
        .select_related("ingest")
        .order_by("ingest__as_of", "ingest__ingested_at", "ingest__key")
        .last()
    )


def trial_detail(nct_id: str, as_of: dt.date) -> dict[str, Any] | None:
    record = latest_record(nct_id, as_of)
    if record is None:
        return None
    rule = classify_trial(record.data)
    overrides = list(TrialOverride.objects.filter(nct_id=nct_id).select_related("recorded_by").order_by("id"))
    in_force = [o for o in overrides if o.effective_from <= as_of]
    result = apply_override(rule, override_row(in_force[-1]) if in_force else None)
    versions = (
        TrialRecord.objects.filter(nct_id=nct_id)
        .select_related("ingest")
        .order_by("ingest__as_of", "ingest__ingested_at", "ingest__key")
    )
    return {
        "record": record,
        "trial": record.data,
        "ingest": manifest(record.ingest),
        "rule": rule,
        "result": result,
        "overridden": bool(in_force),
        "overrides": overrides,
        "versions": [
            {
                "ingest": v.ingest,
                "version_date": v.version_date,
                "phase": v.phase_bucket,
                "current": v.pk == record.pk,
            }
            for v in versions
        ],
    }


def pubmed_as_of(as_of: dt.date) -> list[dict[str, Any]]:
    """The latest series of each name retrieved on or before `as_of` (seed first, then broad)."""
    chosen: dict[str, PubmedSeries] = {}
    for series in PubmedSeries.objects.filter(retrieved_on__lte=as_of).order_by("retrieved_on", "id"):
        chosen[series.name] = series
    order = {"seed": 0, "broad": 1}
    out = []
    for series in sorted(chosen.values(), key=lambda s: (order.get(s.name, 2), s.name)):
        counts = list(series.counts.order_by("year").values("year", "count", "retrieved_on", "url"))
        out.append(
            {
                "series": series,
                "name": series.name,
                "query": series.query,
                "source": series.source,
                "retrieved_on": series.retrieved_on,
                "counts": counts,
                "total": sum(c["count"] for c in counts),
            }
        )
    return out


def pubmed_chart(series_list: list[dict[str, Any]]) -> dict[str, Any]:
    years = sorted({c["year"] for s in series_list for c in s["counts"]})
    return {
        "labels": years,
        "series": [
            {
                "name": s["name"],
                "query": s["query"],
                "data": [next((c["count"] for c in s["counts"] if c["year"] == y), None) for y in years],
            }
            for s in series_list
        ],
    }


def clinic_run_as_of(as_of: dt.date) -> ClinicSurveyRun | None:
    return ClinicSurveyRun.objects.filter(surveyed_on__lte=as_of).order_by("surveyed_on", "id").last()


def clinic_results(run: ClinicSurveyRun, decision: str | None = None):
    qs = ClinicResult.objects.filter(run=run).order_by("id")
    if decision:
        qs = qs.filter(decision=decision)
    return qs


def clinic_decision_counts(run: ClinicSurveyRun) -> dict[str, int]:
    from django.db.models import Count

    counts = dict.fromkeys(("included", "excluded", "not_confirmed"), 0)
    for row in ClinicResult.objects.filter(run=run).values("decision").annotate(n=Count("id")):
        counts[row["decision"]] = row["n"]
    return counts


def clinic_report(run: ClinicSurveyRun) -> dict[str, Any]:
    """The run as `clinic_survey.survey` returned it (for the CSV export and the API)."""
    return {
        "summary": run.summary,
        "results": [
            {
                "url": r.url,
                "decision": r.decision,
                "reason": r.reason,
                "matched": r.matched,
                "institution": r.institution,
                "institution_name": r.institution_name,
                "title": r.title,
                "queries": r.queries,
            }
            for r in clinic_results(run)
        ],
        "institutions": run.institutions,
        "problems": run.problems,
    }


def ingest_changes(ingest: Ingest) -> dict[str, int]:
    """What a trial ingest changed: trials it added (in no earlier snapshot), updated (the
    record differs from the latest earlier one) and left unchanged. "Earlier" is the snapshot
    order the reports use (date, then time of ingest), so a back-dated ingest compares with
    what was known on its date."""
    from django.db.models import Q

    records = dict(TrialRecord.objects.filter(ingest=ingest).values_list("nct_id", "data"))
    earlier = (
        TrialRecord.objects.filter(nct_id__in=list(records))
        .exclude(ingest=ingest)
        .filter(
            Q(ingest__as_of__lt=ingest.as_of)
            | Q(ingest__as_of=ingest.as_of, ingest__ingested_at__lt=ingest.ingested_at)
        )
        .order_by("ingest__as_of", "ingest__ingested_at", "ingest__key")
        .values_list("nct_id", "data")
    )
    before: dict[str, Any] = {}
    for nct_id, data in earlier.iterator(chunk_size=2000):
        before[nct_id] = data
    added = sum(1 for n in records if n not in before)
    updated = sum(1 for n, data in records.items() if n in before and before[n] != data)
    return {
        "records": len(records),
        "added": added,
        "updated": updated,
        "unchanged": len(records) - added - updated,
    }
