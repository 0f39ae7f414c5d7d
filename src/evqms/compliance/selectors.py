"""Reads of the compliance area: latest assessments, what changed between two, report rebuilding."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from evqms.compliance import overview
from evqms.compliance.models import (
    Assessment,
    AssessmentOverview,
    Attestation,
    ComparabilityRecord,
    QMSElementDocument,
    RiskRegister,
)
from evqms.guidance import ruleset as rulesets
from evqms.guidance.report import REASONS_SHOWN

DEFAULT_RULESET = rulesets.DEFAULT


def dashboard_card(user) -> dict | None:
    if not user.has_perm("compliance.view"):
        return None
    latest = latest_per_product(DEFAULT_RULESET)
    scored = [a.score for a in latest.values() if a is not None and a.score is not None]
    return {
        "title": _("Compliance"),
        "value": f"{min(scored):.1f}" if scored else "—",
        "caption": _("lowest JSRM score of {n} products").format(n=len(latest)),
        "url_name": "compliance:index",
    }


# What an assessment's list and summary show. Its snapshot and findings are read only where they are
# used: a product of 1,000 lots stores a 13 MB snapshot and 7 MB of findings with each assessment,
# which the dashboard card, the product list and the history list do not show.
BULKY = ("snapshot", "findings")


def latest_per_product(ruleset_id: str = DEFAULT_RULESET) -> dict:
    """{product: latest stored assessment or None} for every product (its snapshot and findings
    are read if used)."""
    from evqms.dossier.models import Product

    out = {}
    for product in Product.objects.order_by("code"):
        out[product] = (
            Assessment.objects.filter(product=product, ruleset_id=ruleset_id)
            .defer(*BULKY)
            .order_by("-assessed_at", "-id")
            .first()
        )
    return out


def assessments_for(product, ruleset_id: str = DEFAULT_RULESET):
    """The product's stored assessments, newest first; each one's snapshot and findings are read
    when first used."""
    return (
        Assessment.objects.filter(product=product, ruleset_id=ruleset_id)
        .defer(*BULKY)
        .order_by("-assessed_at", "-id")
    )


def latest_two(product, ruleset_id: str = DEFAULT_RULESET) -> tuple[Assessment | None, Assessment | None]:
    """The latest stored assessment and the one before it (the compliance page shows the one and
    compares it with the other), in one query from the covering index; their findings and snapshots
    are read if used (`findings_shown`, `diff`)."""
    rows = list(
        Assessment.objects.filter(product=product, ruleset_id=ruleset_id)
        .defer(*BULKY)
        .order_by("-assessed_at", "-id")[:2]
    )
    return (rows[0] if rows else None), (rows[1] if len(rows) > 1 else None)


# --- what a page shows of the stored findings -----------------------------------------------------


def findings_shown(stored: Assessment) -> dict:
    """The stored findings as a page shows them (compliance.overview.shown): read from the overview
    written with the assessment, or from the findings of one stored before overviews were. A stored
    assessment never changes, so this is kept per assessment (its id, time and snapshot hash; ids
    come back after a restore)."""
    if stored.pk is None:  # not stored: nothing to read or keep
        return overview.shown(stored.findings)
    return _shown(stored.pk, stored.assessed_at, stored.snapshot_sha256)


@lru_cache(maxsize=32)
def _shown(pk: int, assessed_at, snapshot_sha256: str) -> dict:
    kept = AssessmentOverview.objects.filter(pk=pk).values_list("shown", flat=True).first()
    if kept is not None:
        return kept
    findings = Assessment.objects.filter(pk=pk).values_list("findings", flat=True).first()
    return overview.shown(findings or {})


def ruleset_ids_assessed(product) -> list[str]:
    # No ordering: the model's default (by time) would make SQLite read each row's time, which it
    # stores after the snapshot and findings (see the covering index on Assessment).
    return sorted(
        set(Assessment.objects.filter(product=product).order_by().values_list("ruleset_id", flat=True))
    )


def current_register(product) -> RiskRegister | None:
    return RiskRegister.objects.filter(product=product).order_by("-version").first()


def attestations_for(product):
    return (
        Attestation.objects.filter(product=product)
        .select_related("signer", "signature")
        .order_by("-signed_at")
    )


def qms_links():
    """Every QMS element's linked documents (the QMS is the site's, so it serves every product)."""
    return QMSElementDocument.objects.select_related("document", "linked_by").order_by(
        "element", "document__code", "document__version"
    )


def linkable_documents():
    """Approved controlled documents of the dossier, the ones a QMS element may be linked to."""
    from evqms.dossier.models import Document

    return Document.objects.filter(status="approved").order_by("code", "-version")


def comparability_rows(product) -> list[dict]:
    """One row per process version after the first: the version it changed from and its record (or None)."""
    processes = list(product.processes.order_by("version"))
    records = {
        r.process_id: r
        for r in ComparabilityRecord.objects.filter(process__in=processes).select_related(
            "document", "approval_signature"
        )
    }
    versions = {p.version for p in processes}
    return [
        {
            "process": p,
            "previous": p.version - 1 if p.version - 1 in versions else None,
            "record": records.get(p.pk),
        }
        for p in processes
        if p.version >= 2
    ]


def processes_awaiting_comparability(product):
    """Process versions after the first without a comparability record (the form's choices)."""
    return product.processes.filter(version__gte=2, comparability__isnull=True).order_by("version")


# --- scores per part ------------------------------------------------------------------------------


def part_scores(stored: Assessment) -> list[dict]:
    """One row per part: counts per status and the part's score (engine formula)."""
    data = findings_shown(stored)
    titles = _part_titles(stored.ruleset_id)
    rows = []
    # In the rule set's order, which the stored item list keeps: PostgreSQL's jsonb does not keep
    # the order of an object's keys, so "by_part" alone would list section 3-2 before section 1.
    order = list(dict.fromkeys(i["part"] for i in data.get("items", [])))
    by_part = data["summary"]["by_part"]
    parts = sorted(by_part, key=lambda p: (order.index(p) if p in order else len(order), p))
    for part in parts:
        counts = by_part[part]
        applicable = sum(n for s, n in counts.items() if s != "not_applicable")
        score = (
            round(100.0 * (counts.get("met", 0) + 0.5 * counts.get("partly_met", 0)) / applicable, 1)
            if applicable
            else None
        )
        rows.append(
            {
                "part": part,
                "title": titles.get(part, {"en": part, "ja": part}),
                "counts": counts,
                "score": score,
            }
        )
    return rows


def _part_titles(ruleset_id: str) -> dict:
    try:
        return dict(rulesets.load(ruleset_id).parts)
    except Exception:  # a stored assessment outlives a removed user rule set
        return {}


# --- what changed ------------------------------------------------------------------------------


def diff(previous: Assessment | None, current: Assessment) -> dict:
    """Items whose status changed, score change, and evidence records added, removed or changed."""
    if previous is None:
        return {
            "first": True,
            "items": [],
            "records": [],
            "records_total": 0,
            "score_before": None,
            "score_after": current.score,
        }
    before = {i["id"]: i["status"] for i in findings_shown(previous)["items"]}
    items = [
        {"id": i["id"], "before": before.get(i["id"]), "after": i["status"]}
        for i in findings_shown(current)["items"]
        if before.get(i["id"]) != i["status"]
    ]
    changed = (
        _record_changes(previous, current) if previous.snapshot_sha256 != current.snapshot_sha256 else ()
    )
    return {
        "first": False,
        "items": items,
        # the first records a page lists (10,000 lots added at once are 10,000 records), and how many
        "records": [
            {"section": section, "record": key, "change": change}
            for section, key, change in changed[:REASONS_SHOWN]
        ],
        "records_total": len(changed),
        "score_before": previous.score,
        "score_after": current.score,
        "same_snapshot": previous.snapshot_sha256 == current.snapshot_sha256,
        "ruleset_changed": previous.ruleset_version != current.ruleset_version,
    }


def _record_changes(previous: Assessment, current: Assessment) -> tuple[tuple[str, str, str], ...]:
    """(section, record, added/removed/changed) between two stored assessments' snapshots."""
    if previous.pk is None or current.pk is None:  # not stored: compared as they are
        return overview.changed_between(previous.snapshot or {}, current.snapshot or {})
    return _changes(
        (previous.pk, previous.assessed_at, previous.snapshot_sha256),
        (current.pk, current.assessed_at, current.snapshot_sha256),
    )


@lru_cache(maxsize=16)
def _changes(previous: tuple, current: tuple) -> tuple[tuple[str, str, str], ...]:
    """Kept per pair of assessments (as `_shown`): compared from their overviews' record fingerprints
    (5 MB each at 10,000 lots); from their snapshots (130 MB each) when either has no overview."""
    ids = [previous[0], current[0]]
    kept = dict(AssessmentOverview.objects.filter(pk__in=ids).values_list("pk", "record_fingerprints"))
    if len(kept) == 2:
        return overview.changed(kept[previous[0]], kept[current[0]])
    snapshots = dict(Assessment.objects.filter(pk__in=ids).values_list("pk", "snapshot"))
    return overview.changed_between(snapshots.get(previous[0]) or {}, snapshots.get(current[0]) or {})


def previous_of(stored: Assessment) -> Assessment | None:
    return (
        Assessment.objects.filter(
            product=stored.product, ruleset_id=stored.ruleset_id, assessed_at__lt=stored.assessed_at
        )
        .order_by("-assessed_at", "-id")
        .first()
    )


# --- rebuilding the engine's objects for the reports ------------------------------------------


def to_engine(stored: Assessment):
    """The stored result as an engine Assessment (for the text/HTML/PDF reports of guidance.report).

    The rule set's texts come from the installed rule set when its version matches; otherwise
    from the texts stored with the findings.
    """
    from evqms.guidance.engine import Assessment as EngineAssessment
    from evqms.guidance.engine import Finding
    from evqms.guidance.ruleset import Item, RuleSet

    data = stored.findings
    try:
        rs = rulesets.load(stored.ruleset_id)
    except Exception:
        rs = None
    if rs is None or rs.version != stored.ruleset_version:
        meta = data["ruleset"]
        parts = {i["part"]: {"en": i["part"], "ja": i["part"]} for i in data["items"]}
        items = tuple(
            Item(
                id=i["id"],
                part=i["part"],
                section=i["section"],
                level=i["level"],
                text=i["text"],
                evidence={"en": "", "ja": ""},
                checks=(),
                provenance=i["provenance"],
                interpretation=i.get("interpretation"),
                source=i.get("source", ""),
            )
            for i in data["items"]
        )
        rs = RuleSet(
            id=meta["id"],
            title=meta["title"],
            version=meta["version"],
            published=meta["published"],
            source=meta["source"],
            parts=parts if rs is None else {**parts, **rs.parts},
            items=items,
            path="",
        )
    by_id = {i.id: i for i in rs.items}
    findings = [
        Finding(
            by_id[i["id"]],
            i["status"],
            i["reasons"],
            i["evidence"],
            i["next_steps"],
            i["checks"],
        )
        for i in data["items"]
        if i["id"] in by_id
    ]
    generated = dt.datetime.fromisoformat(data["generated_at"].replace("Z", "+00:00"))
    return EngineAssessment(rs, findings, stored.snapshot_sha256, generated, stored.as_of)


# --- links from evidence references to pages --------------------------------------------------


def _media_fill_pk(number: str) -> list:
    from evqms.training.models import MediaFill

    pk = MediaFill.objects.filter(number=number).values_list("pk", flat=True).first()
    if pk is None:
        raise NoReverseMatch(number)  # a media fill no longer on record: shown unlinked
    return [pk]


def evidence_url(reference: str, product) -> str | None:
    """'lot UCEV-24-001' -> the lot page; 'risk register RR-x v2' -> the register page; a QMS
    document or comparability record -> its section of the compliance page; an administration,
    adverse event or safety report -> its clinical page; an issued evidence report -> the
    product's evidence page; an EM sample, media fill, calibration (its instrument's page),
    deviation, CAPA or change request -> its page; else None."""
    kinds = (
        ("lot ", "lots:lot-detail", lambda rest: [rest]),
        # the quality records behind JSRM-2-R1/2-R2 ("calibration BSC-01 2025-01-10": its instrument)
        ("EM sample ", "environment:sample", lambda rest: [rest]),
        ("media fill ", "training:media-fill-detail", _media_fill_pk),
        ("calibration ", "equipment:instrument-detail", lambda rest: [rest.rsplit(" ", 1)[0]]),
        ("instrument ", "equipment:instrument-detail", lambda rest: [rest]),
        ("deviation ", "deviations:detail", lambda rest: [rest]),
        ("CAPA ", "capa:detail", lambda rest: [rest]),
        ("change request ", "changes:detail", lambda rest: [rest]),
        ("risk register ", "compliance:register", lambda rest: [product.code]),
        ("risk ", "compliance:register", lambda rest: [product.code]),
        ("attestation ", "compliance:product", lambda rest: [product.code]),
        ("document ", "compliance:product", lambda rest: [product.code]),
        ("comparability record ", "compliance:product", lambda rest: [product.code]),
        ("administration ", "clinical:administration-detail", lambda rest: [rest]),
        ("adverse event ", "clinical:adverse-event-detail", lambda rest: [rest]),
        ("safety report ", "clinical:safety-report-detail", lambda rest: [rest]),
        ("evidence report ", "reports:evidence", lambda rest: [product.code]),
    )
    anchors = {
        "attestation ": "#attestations",
        "document ": "#qms-documents",
        "comparability record ": "#comparability",
        "evidence report ": "#yearly",
        "calibration ": "#calibrations",
    }
    for prefix, name, args in kinds:
        if reference.startswith(prefix):
            try:
                url = reverse(name, args=args(reference[len(prefix) :].strip()))
            except NoReverseMatch:  # a stored id that breaks the identifier rule: shown unlinked
                return None
            url += anchors.get(prefix, "")
            if prefix == "risk ":
                url += "#" + reference[len(prefix) :].strip()
            return url
    return None
