"""Assessments: the product's evidence snapshot judged against rule sets, each result stored."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from evqms.accounts.rules import require
from evqms.audit.services import record_event
from evqms.compliance import overview
from evqms.compliance.models import Assessment, AssessmentOverview
from evqms.compliance.snapshot import build_snapshot
from evqms.core.canonical import canonical_json
from evqms.guidance import ruleset
from evqms.guidance.engine import assess, to_dict


def evaluate(product, ruleset_refs: list[str] | None = None, *, now: dt.datetime | None = None):
    """(snapshot, [engine assessments]) without storing; bad input raises InputError first."""
    rulesets = [ruleset.load(ref) for ref in (ruleset_refs or [ruleset.DEFAULT])]
    snapshot = build_snapshot(product)
    # The snapshot's dates are local dates (TIME_ZONE); judge them against the local date too. The
    # engine's default (the UTC date) is a day behind in Japan every morning, so a document approved
    # then would not yet count as effective.
    now = now or timezone.now()
    as_of = timezone.localdate(now) if timezone.is_aware(now) else now.date()
    return snapshot, [assess(snapshot, rs, now=now, as_of=as_of) for rs in rulesets]


def run_assessment(
    *, actor, product, ruleset_refs: list[str] | None = None, now: dt.datetime | None = None
) -> list[tuple[Assessment, object]]:
    """Judge the product against each rule set and store every result (all or nothing).

    `actor` None is the command line acting as the system. Returns (stored row, engine assessment)
    pairs in the order of the rule sets given.
    """
    if actor is not None:
        require(actor, "compliance.run_assessment")
    snapshot, assessments = evaluate(product, ruleset_refs, now=now)
    snapshot_data = json.loads(canonical_json(snapshot))
    fingerprints = overview.record_fingerprints(snapshot_data)
    stored = []
    with transaction.atomic():
        for a in assessments:
            score = a.score()
            findings = to_dict(a)
            row = Assessment.objects.create(
                product=product,
                ruleset_id=a.ruleset.id,
                ruleset_version=a.ruleset.version,
                snapshot_sha256=a.snapshot_sha256,
                snapshot=snapshot_data,
                findings=findings,
                score=None if score is None else Decimal(str(score)),
                all_met=a.all_met(),
                as_of=a.as_of,
                assessed_by=actor,
                assessed_at=a.generated_at,
            )
            # What the compliance page reads of it (compliance.overview), so that a view does not read
            # the findings and the snapshot.
            AssessmentOverview.objects.create(
                assessment=row, shown=overview.shown(findings), record_fingerprints=fingerprints
            )
            record_event(
                actor=actor,
                action="assessment.run",
                object_type="assessment",
                object_id=row.pk,
                after={
                    "product": product.code,
                    "ruleset": a.ruleset.id,
                    "ruleset_version": a.ruleset.version,
                    "snapshot_sha256": a.snapshot_sha256,
                    "score": score,
                    "by_status": a.by_status(),
                },
            )
            stored.append((row, a))
    return stored
