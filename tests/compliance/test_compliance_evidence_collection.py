"""The evidence-collection rule set on a product in the database: baselines, visits, serious-event
reports and the issued evidence summary are read from the clinical records, findings cite the
failing records with links, and one recorded fact flips exactly the item resting on it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from evqms.clinical import services as clinical
from evqms.compliance.selectors import evidence_url
from evqms.compliance.snapshot import build_snapshot
from evqms.errors import RuleViolation
from evqms.guidance import ruleset
from evqms.guidance.engine import assess
from evqms.inventory import services as inventory

pytestmark = pytest.mark.django_db


def findings(product, ruleset_id):
    return {
        f.item.id: f
        for f in assess(build_snapshot(product), ruleset.load(ruleset_id), now=timezone.now()).findings
    }


def statuses(product):
    return {
        k: f.status for rs in ("evidence-collection", "jsrm-2024") for k, f in findings(product, rs).items()
    }


@pytest.fixture
def treated(world):
    """Two patients given one aliquot each 30 days ago; the pain rating and the PGIC in use; only
    the first administration has its pain baseline."""
    lot = world.released_lot()
    aliquots = inventory.create_aliquots(actor=world.operator, lot=lot, count=3, volume_ml=Decimal("1"))
    inventory.record_retention_sample(actor=world.operator, lot=lot, aliquot=aliquots[2].container_id)
    nrs = clinical.enable_instrument(actor=world.physician, product=world.product, instrument="nrs-pain")
    pgic = clinical.enable_instrument(actor=world.physician, product=world.product, instrument="pgic")
    at = timezone.now() - dt.timedelta(days=30)
    adms = []
    for i, aliquot in enumerate(aliquots[:2]):
        clinical.register_patient(
            actor=world.physician,
            code=f"P-{i}",
            clinic_identifier=f"chart-{i}",
            consented_on=dt.date(2024, 6, 1),
        )
        adms.append(
            clinical.record_administration(
                actor=world.physician, patient=f"P-{i}", aliquots=[aliquot.container_id], administered_at=at,
                route="intra_articular", dose=Decimal("2e9"), dose_unit="particles", body_weight_kg=Decimal("60"),
            )
        )  # fmt: skip
    clinical.record_baseline(
        actor=world.physician, administration=adms[0], use=nrs, evaluated_at=at - dt.timedelta(hours=1),
        values={"pain": "6"},
    )  # fmt: skip
    return world, adms, nrs, pgic


def test_a_missing_baseline_is_cited_and_recording_it_flips_only_evc1(treated):
    world, adms, nrs, _pgic = treated
    before = statuses(world.product)
    evc1 = findings(world.product, "evidence-collection")["EVC-1"]
    assert evc1.status == "partly_met"  # 1 of 2: the PGIC is not asked for
    assert evc1.evidence == [f"administration {adms[1].number}"]
    assert evidence_url(evc1.evidence[0], world.product) == f"/clinical/administrations/{adms[1].number}/"
    assert before["EVC-2"] == "not_applicable"  # visits planned, none due yet

    clinical.record_baseline(
        actor=world.physician, administration=adms[1], use=nrs,
        evaluated_at=adms[1].administered_at - dt.timedelta(hours=1), values={"pain": "7"},
    )  # fmt: skip
    after = statuses(world.product)
    assert {k for k in before if before[k] != after[k]} == {"EVC-1"} and after["EVC-1"] == "met"


def test_a_pgic_takes_no_baseline(treated):
    world, adms, _nrs, pgic = treated
    with pytest.raises(RuleViolation, match="takes no baseline"):
        clinical.record_baseline(
            actor=world.physician, administration=adms[1], use=pgic,
            evaluated_at=adms[1].administered_at - dt.timedelta(hours=1), values={"change": "2"},
        )  # fmt: skip
    snap = build_snapshot(world.product)
    assert [(i.id, i.baseline) for i in snap.outcome_instruments] == [
        ("nrs-pain v1", True),
        ("pgic v2", False),
    ]


def test_a_serious_event_and_its_report_enter_the_snapshot_and_jsrm_1_r2(treated):
    world, adms, _nrs, _pgic = treated
    learned = timezone.localdate() - dt.timedelta(days=20)
    event = clinical.record_adverse_event(
        actor=world.physician, patient="P-1", administration=adms[1], onset=adms[1].administered_at + dt.timedelta(hours=2),
        description="Septic arthritis", ctcae_grade=3, seriousness_criteria=["hospitalisation"],
        learned_on=learned, causality="possible", outcome="recovering",
    )  # fmt: skip
    report = event.safety_reports.get(kind="initial")
    snap = build_snapshot(world.product)
    assert [(r.id, r.adverse_event, r.due_on, r.submitted_on) for r in snap.safety_reports] == [
        (report.number, event.number, learned + dt.timedelta(days=15), None)
    ]
    evc3 = findings(world.product, "evidence-collection")["EVC-3"]
    assert evc3.status == "not_met"  # due 5 days ago, not submitted
    assert evidence_url(f"safety report {report.number}", world.product) == (
        f"/clinical/safety-reports/{report.number}/"
    )
    r2 = findings(world.product, "jsrm-2024")["JSRM-1-R2"]
    assert f"adverse event {event.number}" in r2.evidence and f"safety report {report.number}" in r2.evidence
    assert r2.status == "partly_met"  # the serious event has no investigation yet

    before = statuses(world.product)
    clinical.update_investigation(
        actor=world.physician,
        adverse_event=event,
        investigation="Retained sample sterile; endotoxin in limit.",
    )
    after = statuses(world.product)
    assert {k for k in before if before[k] != after[k]} == {"JSRM-1-R2"} and after["JSRM-1-R2"] == "met"


def test_issuing_the_yearly_report_flips_only_evc4(treated):
    world, _adms, _nrs, _pgic = treated
    before = statuses(world.product)
    assert before["EVC-4"] == "not_met"
    issued = clinical.record_evidence_report(
        actor=world.physician,
        product=world.product,
        year=timezone.localdate().year,
        language="ja",
        sha256="a" * 64,
    )
    after = statuses(world.product)
    assert {k for k in before if before[k] != after[k]} == {"EVC-4"} and after["EVC-4"] == "met"
    evc4 = findings(world.product, "evidence-collection")["EVC-4"]
    assert evc4.evidence == [f"evidence report {issued.number}"]
    assert evidence_url(evc4.evidence[0], world.product) == f"/reports/evidence/{world.product.code}/#yearly"
