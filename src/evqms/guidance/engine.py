"""The compliance engine: evidence snapshot + rule set -> one finding per item.

An item's status is the worst of its checks' statuses (not met > partly met > needs attestation
> met); checks that do not apply are ignored, and an item none of whose checks apply is not
applicable. Score = 100 x (met + 0.5 x partly met) / applicable items.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field

from evqms.guidance.checks import REGISTRY, CheckContext
from evqms.guidance.checks.base import MET, NEEDS_ATTESTATION, NOT_APPLICABLE, NOT_MET, PARTLY_MET, STATUSES
from evqms.guidance.consistency import check_consistency
from evqms.guidance.evidence import EvidenceSnapshot
from evqms.guidance.ruleset import Item, RuleSet
from evqms.guidance.text import bi

SEVERITY = {NOT_MET: 4, PARTLY_MET: 3, NEEDS_ATTESTATION: 2, MET: 1, NOT_APPLICABLE: 0}


@dataclass
class Finding:
    item: Item
    status: str
    reasons: list[dict] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    next_steps: list[dict] = field(default_factory=list)
    checks: list[dict] = field(
        default_factory=list
    )  # {"name", "status"} per check, for the audit of a decision


@dataclass
class Assessment:
    ruleset: RuleSet
    findings: list[Finding]
    snapshot_sha256: str
    generated_at: dt.datetime
    as_of: dt.date

    def by_status(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for f in self.findings:
            counts[f.status] += 1
        return counts

    def by_part(self) -> dict[str, dict[str, int]]:
        parts: dict[str, dict[str, int]] = {}
        for f in self.findings:
            parts.setdefault(f.item.part, dict.fromkeys(STATUSES, 0))[f.status] += 1
        return parts

    def score(self) -> float | None:
        applicable = [f for f in self.findings if f.status != NOT_APPLICABLE]
        if not applicable:
            return None
        points = sum(1.0 if f.status == MET else 0.5 if f.status == PARTLY_MET else 0.0 for f in applicable)
        return round(100.0 * points / len(applicable), 1)

    def all_met(self) -> bool:
        return all(f.status in (MET, NOT_APPLICABLE) for f in self.findings)


def _applies(item: Item, snap: EvidenceSnapshot) -> bool:
    for attr, patterns in item.applies_when.items():
        value = getattr(snap.product, attr, "")
        values = value if isinstance(value, list) else [value]
        patterns = patterns if isinstance(patterns, list) else [patterns]
        if not any(fnmatch.fnmatch(str(v).lower(), str(p).lower()) for v in values for p in patterns):
            return False
    return True


def _key(value: object) -> object:
    """A hashable stand-in equal for equal values: a reason is a {'en', 'ja'} dict of texts, a
    piece of evidence a text. None when the value cannot be hashed (then it is compared in full)."""
    try:
        if isinstance(value, dict):
            key: object = ("dict", tuple(sorted(value.items())))
        else:
            key = ("value", value)
        hash(key)
    except TypeError:
        return None
    return key


def _extend_unique(target: list, seen: set, values: list) -> None:
    """Append each value not already in target, in order (a value repeated within `values` is kept
    once too). A set of keys replaces the scan of the list: a lot-level check gives a reason or a
    reference per lot, and the scan made an item's merge quadratic in the lots."""
    for value in values:
        key = _key(value)
        if key is None:
            if value in target:
                continue
        elif key in seen:
            continue
        else:
            seen.add(key)
        target.append(value)


def evaluate_item(item: Item, snap: EvidenceSnapshot, as_of: dt.date) -> Finding:
    if not _applies(item, snap):
        return Finding(
            item,
            NOT_APPLICABLE,
            [
                bi(
                    "Does not apply to this product ({condition}).",
                    condition=", ".join(f"{k}: {v}" for k, v in item.applies_when.items()),
                )
            ],
        )
    ctx = CheckContext(item_id=item.id, as_of=as_of)
    finding = Finding(item, NOT_APPLICABLE)
    seen: tuple[set, set, set] = (set(), set(), set())
    for spec in item.checks:
        result = REGISTRY[spec.name](snap, ctx, **spec.params)
        finding.checks.append({"name": spec.name, "status": result.status})
        _extend_unique(finding.reasons, seen[0], result.reasons)
        _extend_unique(finding.evidence, seen[1], result.evidence)
        _extend_unique(finding.next_steps, seen[2], result.next_steps)
        if SEVERITY[result.status] > SEVERITY[finding.status]:
            finding.status = result.status
    return finding


def local_day(when: dt.datetime) -> dt.date:
    """The day in the facility's zone (EVQMS_TIME_ZONE, as the web app uses; Asia/Tokyo by default):
    an assessment made at 08:30 JST is of that day, not of the UTC day before."""
    import os
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(os.environ.get("EVQMS_TIME_ZONE") or "Asia/Tokyo")
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    if when.tzinfo is None:  # the engine's instants are UTC
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(zone).date()


def assess(
    snapshot: EvidenceSnapshot,
    ruleset: RuleSet,
    *,
    as_of: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Assessment:
    """Judge every item; contradictory evidence raises InputError before any item is judged."""
    check_consistency(snapshot)
    now = now or dt.datetime.now(dt.UTC)
    as_of = as_of or snapshot.as_of or local_day(now)
    findings = [evaluate_item(item, snapshot, as_of) for item in ruleset.items]
    return Assessment(ruleset, findings, snapshot.sha256(), now, as_of)


def to_dict(assessment: Assessment) -> dict:
    """The JSON contract of `evqms assess --format json` (one rule set)."""
    rs = assessment.ruleset
    return {
        "ruleset": {
            "id": rs.id,
            "version": rs.version,
            "published": rs.published,
            "title": rs.title,
            "source": rs.source,
        },
        "generated_at": assessment.generated_at.astimezone(dt.UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z"),
        "as_of": assessment.as_of.isoformat(),
        "snapshot_sha256": assessment.snapshot_sha256,
        "summary": {
            "by_part": assessment.by_part(),
            "by_status": assessment.by_status(),
            "score": assessment.score(),
        },
        "items": [
            {
                "id": f.item.id,
                "part": f.item.part,
                "section": f.item.section,
                "level": f.item.level,
                "text": f.item.text,
                "status": f.status,
                "reasons": f.reasons,
                "evidence": f.evidence,
                "next_steps": f.next_steps,
                "checks": f.checks,
                "provenance": f.item.provenance,
                "interpretation": f.item.interpretation,
                "source": f.item.source,
            }
            for f in assessment.findings
        ],
    }
