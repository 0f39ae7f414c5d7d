"""The trials report: counts by phase bucket and category as of a date, and the late-phase
therapeutic trials, built from stored records (the store says which ingests they come from)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from evqms.core import csvsafe
from evqms.i18n import _
from evqms.landscape.classify_trials import CATEGORIES, THERAPEUTIC, apply_override, classify_trial
from evqms.landscape.trials import BUCKETS, LATE_PHASE_BUCKETS


def build_report(
    trials: list[dict[str, Any]],
    *,
    as_of: dt.date,
    sources: list[dict[str, Any]],
    overrides: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    overrides = overrides or {}
    counts = {category: dict.fromkeys(BUCKETS, 0) for category in CATEGORIES}
    late: list[dict[str, Any]] = []
    classified = []
    for trial in trials:
        result = apply_override(classify_trial(trial), overrides.get(trial["nct_id"]))
        bucket = trial["phase_bucket"]
        counts[result.category][bucket] += 1
        classified.append({"nct_id": trial["nct_id"], "phase": bucket, **result.to_dict()})
        if result.category == THERAPEUTIC and bucket in LATE_PHASE_BUCKETS:
            late.append({"nct_id": trial["nct_id"], "title": trial.get("brief_title"), "phase": bucket})
    late.sort(key=lambda t: (BUCKETS.index(t["phase"]), t["nct_id"]))
    return {
        "as_of": as_of.isoformat(),
        "sources": [
            {k: s.get(k) for k in ("id", "as_of", "ingested_at", "source", "query", "records")}
            | {"inputs": [{"name": i["name"], "sha256": i["sha256"]} for i in s.get("inputs", [])]}
            for s in sources
        ],
        "counts": counts,
        "totals": {category: sum(counts[category].values()) for category in CATEGORIES},
        "late_phase": late,
        "trials": classified,
    }


def _label(category: str) -> str:
    return {"therapeutic": _("therapeutic"), "biomarker": _("biomarker"), "unrelated": _("unrelated")}[
        category
    ]


def render_text(report: dict[str, Any]) -> str:
    lines = [_("EV clinical trials as of {date}").format(date=report["as_of"]), ""]
    width = max(len(b) for b in BUCKETS) + 2
    lines.append(_("Phase").ljust(width) + "".join(_label(c).rjust(14) for c in CATEGORIES))
    for bucket in BUCKETS:
        lines.append(
            bucket.ljust(width) + "".join(str(report["counts"][c][bucket]).rjust(14) for c in CATEGORIES)
        )
    lines.append(_("Total").ljust(width) + "".join(str(report["totals"][c]).rjust(14) for c in CATEGORIES))
    lines += ["", _("Late-phase (Phase 2/3 and later) therapeutic trials:")]
    for trial in report["late_phase"] or []:
        lines.append(f"  {trial['phase']:<10} {trial['nct_id']}  {trial['title']}")
    if not report["late_phase"]:
        lines.append("  " + _("none"))
    lines += ["", _("Sources:")]
    for source in report["sources"]:
        lines.append(f"  {source['id']}  {source['source']}  {source.get('query') or ''}".rstrip())
    if not report["sources"]:
        lines.append("  " + _("none (no ingest on or before this date)"))
    return "\n".join(lines) + "\n"


def render_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")  # formula injection neutralised
    writer.writerow(["as_of", "category", "phase", "count"])
    for category in CATEGORIES:
        for bucket in BUCKETS:
            writer.writerow([report["as_of"], category, bucket, report["counts"][category][bucket]])
        writer.writerow([report["as_of"], category, "Total", report["totals"][category]])
    return out.getvalue()
