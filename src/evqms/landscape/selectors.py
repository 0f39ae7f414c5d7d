"""Reads of the landscape monitor, each "as of" a date: the records, counts and survey runs
dated on or before it (so a page for a past date shows what was known then)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from evqms.landscape import trials_report
from evqms.landscape.classify_trials import CATEGORIES, apply_override, classify_trial
from evqms.landscape.clinic_survey import institutions_of
from evqms.landscape.models import (
    ClinicResult,
    ClinicResultOverride,
    ClinicSurveyRun,
    Ingest,
    PubmedSeries,
    TrialOverride,
    TrialRecord,
)
from evqms.landscape.trials import BUCKETS


def ingest_manifest(ingest) -> dict[str, Any]:
    """An Ingest row as the file store's ingest.json."""
    return {
        "id": ingest.key,
        "as_of": ingest.as_of.isoformat(),
        "ingested_at": ingest.ingested_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "source": ingest.source,
        "query": ingest.query or None,
        "inputs": list(ingest.inputs),
        "records": ingest.record_count,
        "problems": list(ingest.problems),
        "raw_sha256": ingest.raw_sha256,
        "raw_path": ingest.raw_path,
    }


def override_row(override) -> dict[str, Any]:
    """A TrialOverride row as a line of the file store's overrides.jsonl."""
    return {
        "nct_id": override.nct_id,
        "category": override.category,
        "who": override.who,
        "why": override.reason,
        "when": override.effective_from.isoformat(),
        "recorded_at": override.recorded_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "recorded_by": override.recorded_by.get_username(),
    }


def trial_ingests() -> list[dict[str, Any]]:
    """Every trial ingest as the file store's ingest.json, oldest first."""
    return [ingest_manifest(i) for i in Ingest.objects.order_by("as_of", "ingested_at", "key")]


def ingest_records(key: str) -> list[dict[str, Any]]:
    """The trial records of one ingest, in the order stored."""
    return list(TrialRecord.objects.filter(ingest__key=key).order_by("id").values_list("data", flat=True))


def trial_records_as_of(date: dt.date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(trials as they were on `date`, the ingests they come from): the latest ingest dated
    on or before `date` that holds a trial gives its record."""
    rows = (
        TrialRecord.objects.filter(ingest__as_of__lte=date)
        .order_by("ingest__as_of", "ingest__ingested_at", "ingest__key")
        .values_list("nct_id", "ingest_id", "data")
    )
    latest: dict[str, dict[str, Any]] = {}
    used: dict[str, int] = {}
    for nct_id, ingest_id, data in rows.iterator(chunk_size=2000):
        latest[nct_id] = data
        used[nct_id] = ingest_id
    sources = [ingest_manifest(i) for i in Ingest.objects.filter(pk__in=set(used.values())).order_by("key")]
    return [latest[k] for k in sorted(latest)], sources


def trial_overrides() -> list[dict[str, Any]]:
    return [override_row(o) for o in TrialOverride.objects.select_related("recorded_by").order_by("id")]


def trial_overrides_as_of(date: dt.date) -> dict[str, dict[str, Any]]:
    """The override in force on `date` for each trial that has one (the latest recorded)."""
    chosen: dict[str, dict[str, Any]] = {}
    for o in (
        TrialOverride.objects.filter(effective_from__lte=date).select_related("recorded_by").order_by("id")
    ):
        chosen[o.nct_id] = override_row(o)
    return chosen


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
    trials, sources = trial_records_as_of(as_of)
    report = trials_report.build_report(
        trials, as_of=as_of, sources=sources, overrides=trial_overrides_as_of(as_of)
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
        "ingest": ingest_manifest(record.ingest),
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


LOG_SCALE_RATIO = 5  # one series' peak this many times another's: a linear axis would flatten the smaller


def pubmed_chart(series_list: list[dict[str, Any]]) -> dict[str, Any]:
    """All series on ONE y axis (two axes made a 0-1,000 and a 0-9,000 curve look alike), logarithmic
    when one series' peak is `LOG_SCALE_RATIO` times another's or more; each series with its query and date."""
    years = sorted({c["year"] for s in series_list for c in s["counts"]})
    peaks = [max((c["count"] for c in s["counts"]), default=0) for s in series_list]
    positive = [p for p in peaks if p > 0]
    log = len(positive) > 1 and max(positive) >= LOG_SCALE_RATIO * min(positive)
    series = []
    for s in series_list:
        by_year = {c["year"]: c["count"] for c in s["counts"]}
        data = [by_year.get(y) for y in years]
        if log:  # a logarithmic axis has no zero: a year with no records is a gap, not a fall to -inf
            data = [v if v else None for v in data]
        series.append(
            {
                "name": s["name"],
                "query": s["query"],
                "retrieved_on": s["retrieved_on"].isoformat() if s.get("retrieved_on") else "",
                "data": data,
            }
        )
    return {"labels": years, "scale": "logarithmic" if log else "linear", "series": series}


def clinic_run_as_of(as_of: dt.date) -> ClinicSurveyRun | None:
    return ClinicSurveyRun.objects.filter(surveyed_on__lte=as_of).order_by("surveyed_on", "id").last()


def _with_review(qs):
    """Each result with `effective` (the latest reviewer's decision, else the rule's) and `review_*`."""
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Coalesce

    latest = ClinicResultOverride.objects.filter(result=OuterRef("pk")).order_by("-recorded_at", "-id")
    return qs.annotate(
        review_decision=Subquery(latest.values("decision")[:1]),
        review_reason=Subquery(latest.values("reason")[:1]),
        review_who=Subquery(latest.values("who")[:1]),
    ).annotate(effective=Coalesce("review_decision", "decision"))


def clinic_results(run: ClinicSurveyRun, decision: str | None = None):
    """The run's results, filtered on the decision that applies (a reviewer's over the rule's)."""
    qs = _with_review(ClinicResult.objects.filter(run=run)).order_by("id")
    if decision:
        qs = qs.filter(effective=decision)
    return qs


def clinic_decision_counts(run: ClinicSurveyRun) -> dict[str, int]:
    from django.db.models import Count

    counts = dict.fromkeys(("included", "excluded", "not_confirmed"), 0)
    rows = clinic_results(run).order_by().values("effective").annotate(n=Count("id"))
    for row in rows:
        counts[row["effective"]] = row["n"]
    return counts


def clinic_summary(run: ClinicSurveyRun) -> dict[str, Any]:
    """The run's summary figures with reviewers' decisions applied (the stored summary is the rule's),
    in one aggregate query."""
    from django.db.models import Count, Q

    included = Q(effective="included")
    figures = (
        clinic_results(run)
        .order_by()
        .aggregate(
            included=Count("id", filter=included),
            institutions_included=Count("institution", distinct=True, filter=included),
            reviewed=Count("id", filter=Q(review_decision__isnull=False)),
        )
    )
    return {**run.summary, **figures}


def clinic_result_detail(pk: int) -> dict[str, Any] | None:
    result = _with_review(ClinicResult.objects.filter(pk=pk).select_related("run")).first()
    if result is None:
        return None
    return {"result": result, "overrides": list(result.overrides.order_by("recorded_at", "id"))}


def clinic_report(run: ClinicSurveyRun) -> dict[str, Any]:
    """The run as `clinic_survey.survey` returned it (for the CSV export and the API), with the
    decision that applies; the rule's decision and the reviewer's reason travel beside it, and the
    institutions are those of the results included now (the stored list is the rule's)."""
    results = [
        {
            "url": r.url,
            "decision": r.effective,
            "reason": r.reason,
            "matched": r.matched,
            "sentence": r.sentence,
            "institution": r.institution,
            "institution_name": r.institution_name,
            "title": r.title,
            "queries": r.queries,
            "rule_decision": r.decision,
            "review": f"{r.review_who}: {r.review_reason}" if r.review_decision else "",
        }
        for r in clinic_results(run)
    ]
    return {
        "summary": clinic_summary(run),
        "results": results,
        "institutions": institutions_of(results),
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
