"""Stored assessments, what changed between two, part scores and the report rebuilt from storage."""

from __future__ import annotations

import pytest

from evqms.compliance import selectors, services
from evqms.compliance.models import Assessment, Attestation
from evqms.errors import PermissionDenied

pytestmark = pytest.mark.django_db


def test_stored_assessment_and_what_changed(world):
    world.released_lot()
    ((first, engine),) = services.run_assessment(actor=world.qa, product=world.product)
    assert (first.ruleset_id, first.ruleset_version) == ("jsrm-2024", "1.0")
    assert first.snapshot_sha256 == engine.snapshot_sha256 and len(first.snapshot_sha256) == 64
    assert first.snapshot["product"]["id"] == "ucmsc-sev-oa"
    assert first.score == pytest.approx(engine.score())
    assert selectors.diff(None, first)["first"] is True

    # Nothing changed: same hash, no item changed.
    ((same, _a),) = services.run_assessment(actor=world.qa, product=world.product)
    d = selectors.diff(first, same)
    assert d["same_snapshot"] and d["items"] == [] and d["records"] == []

    world.register()
    world.attest()
    ((second, _b),) = services.run_assessment(actor=world.qa, product=world.product)
    assert second.snapshot_sha256 != first.snapshot_sha256
    assert selectors.previous_of(second) == same
    d = selectors.diff(same, second)
    changed = {c["id"]: (c["before"], c["after"]) for c in d["items"]}
    assert changed["JSRM-1-R1"] == ("not_met", "met")
    assert changed["JSRM-1-SC"] == ("needs_attestation", "met")
    assert {"section": "risk_register", "record": "", "change": "added"} in d["records"]
    assert {
        "section": "attestations",
        "record": f"ATT-{Attestation.objects.get().pk}",
        "change": "added",
    } in d["records"]
    assert d["score_after"] > d["score_before"]


def test_part_scores_and_report_rebuild(world):
    world.released_lot()
    ((stored, engine),) = services.run_assessment(actor=world.qa, product=world.product)
    parts = {p["part"]: p for p in selectors.part_scores(stored)}
    assert set(parts) == {"risk_profiling", "process_quality", "ev_check_items", "efficacy"}
    counts = parts["ev_check_items"]["counts"]
    applicable = sum(n for s, n in counts.items() if s != "not_applicable")
    assert parts["ev_check_items"]["score"] == round(
        100 * (counts["met"] + 0.5 * counts["partly_met"]) / applicable, 1
    )
    rebuilt = selectors.to_engine(stored)
    assert [f.status for f in rebuilt.findings] == [f.status for f in engine.findings]
    assert rebuilt.score() == engine.score()


def test_run_assessment_needs_the_role(world):
    with pytest.raises(PermissionDenied):
        services.run_assessment(actor=world.operator, product=world.product)
    assert Assessment.objects.count() == 0
