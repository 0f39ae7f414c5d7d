"""The inventory and clinical demo loaders: idempotent, and quiet when the demo lots are absent."""

from __future__ import annotations

import pytest

from evqms.clinical import demo as clinical_demo
from evqms.clinical.models import (
    Administration,
    AdverseEvent,
    Evaluation,
    FollowUpVisit,
    Patient,
    SafetyReport,
)
from evqms.inventory import demo as inventory_demo
from evqms.inventory.models import Aliquot, RetentionSample
from evqms.testing import factories as f


@pytest.fixture
def users(db):
    return {
        "operator": f.user("operator", "operator"),
        "physician": f.user("physician", "physician"),
        "qa": f.user("qa", "qa_reviewer"),
    }


def test_demo_skips_quietly_without_the_demo_lots(users):
    inventory_demo.load(users)
    clinical_demo.load(users)
    assert not Aliquot.objects.exists() and not Patient.objects.exists()


def _demo_lots():
    f.lot("UCEV-24-001", status="released")
    f.lot("UCEV-24-004", status="released")
    f.lot("UCEV-24-002", status="qc")
    f.material_lot("Human platelet lysate", "HPL-24-07", is_biological=True)
    f.material_lot("Fetal bovine serum", "FBS-23-11", animal_species="bovine", is_biological=True)


def test_demo_loads_once(users):
    f.lot("UCEV-24-001", status="released")
    f.lot("UCEV-24-004", status="released")
    f.lot("UCEV-24-002", status="qc")
    f.material_lot("Human platelet lysate", "HPL-24-07", is_biological=True)
    f.material_lot("Fetal bovine serum", "FBS-23-11", animal_species="bovine", is_biological=True)
    for _ in range(2):
        inventory_demo.load(users)
        clinical_demo.load(users)
    # six at fill, eleven aliquoted later for the cohort (the first six are used, shipped or retained)
    assert Aliquot.objects.filter(lot__number="UCEV-24-001").count() == 6 + 11
    assert not Aliquot.objects.filter(lot__number="UCEV-24-002").exists()
    assert RetentionSample.objects.filter(lot__number="UCEV-24-004", status="in_stock").count() == 1
    assert (
        RetentionSample.objects.filter(material_lot__lot_number="FBS-23-11", status="not_kept").count() == 1
    )
    codes = sorted(Patient.objects.values_list("code", flat=True))
    assert codes == [f"PT-{i:04d}" for i in range(1, 31)]
    # Four administrations and three events of the first demo, then 26 patients of the cohort with
    # eight events (seven reactions to UCEV-24-001, one on UCEV-24-004); two of all are serious.
    assert Administration.objects.count() == 30 and AdverseEvent.objects.count() == 11
    assert AdverseEvent.objects.filter(serious=True).count() == 2
    assert SafetyReport.objects.filter(kind="initial").count() == 2
    split = Administration.objects.get(patient__code="PT-0002")
    assert sorted(split.aliquots.values_list("lot__number", flat=True)) == ["UCEV-24-001", "UCEV-24-004"]


def test_the_demo_cohort_flags_the_serum_lot_and_keeps_every_rule(users, caplog):
    from django.utils import timezone

    from evqms.clinical.services.visits import visit_state
    from evqms.reports.evidence import product_evidence

    _demo_lots()
    inventory_demo.load(users)
    clinical_demo.load(users)
    # the demo keeps going without its cohort when a service refuses, and logs why: show it here
    assert Patient.objects.filter(code="PT-0030").exists(), caplog.text
    lot = Administration.objects.first().used.first().aliquot.lot
    evidence = product_evidence(lot.product)
    rows = {row["number"]: row for row in evidence["lots"]}
    assert (rows["UCEV-24-001"]["administrations"], rows["UCEV-24-001"]["events"]) == (15, 10)
    assert (rows["UCEV-24-004"]["administrations"], rows["UCEV-24-004"]["events"]) == (16, 1)
    # Hand-computed: P(X >= 10 | Bin(11, 15/31)) = 11 (15/31)^10 (16/31) + (15/31)^11 = 0.0043348,
    # Holm over two lots 0.0086696; UCEV-24-004: 1 - (15/31)^11 = 0.99966.
    first, fourth = rows["UCEV-24-001"]["signal"], rows["UCEV-24-004"]["signal"]
    assert first["p_value"] == pytest.approx(0.0043348, abs=1e-7)
    assert first["p_adjusted"] == pytest.approx(0.0086696, abs=1e-7) and first["flagged"]
    assert fourth["p_value"] == pytest.approx(0.99966, abs=1e-5) and not fourth["flagged"]
    assert [row["number"] for row in evidence["flagged"]] == ["UCEV-24-001"]

    # within every rule: onsets after their administration, baselines before, follow-ups after and
    # inside their windows, none in the future; missed visits carry their reason
    now, today = timezone.now(), timezone.localdate()
    for event in AdverseEvent.objects.select_related("administration"):
        assert event.administration.administered_at <= event.onset <= now
        assert event.learned_on is None or timezone.localtime(event.onset).date() <= event.learned_on <= today
    for e in Evaluation.objects.select_related("administration"):
        if e.kind == "baseline":
            assert e.evaluated_at <= e.administration.administered_at
        else:
            assert e.administration.administered_at < e.evaluated_at <= now
            visit = e.follow_up_visit
            assert visit.window_start <= timezone.localtime(e.evaluated_at).date() <= visit.window_end
    states = [visit_state(v, today) for v in FollowUpVisit.objects.all()]
    # a missed or overdue visit misses both instruments where both are due: the first demo's missed
    # pain visit, and four in the cohort at months 1 and 3 for pain and PGIC; one left overdue (both)
    assert states.count("missed") == 1 + 4 * 2 and states.count("overdue") == 2 and states.count("due") >= 1
    # PGIC takes no baseline: enabled before the cohort, its visits at 1, 3 and 6 months come with
    # each of the 26 cohort administrations; the first demo's four predate it
    pgic = FollowUpVisit.objects.filter(instrument_use__instrument__code="pgic")
    assert pgic.count() == 26 * 3 and not pgic.filter(baseline__isnull=False).exists()
    assert not pgic.filter(administration__patient__code__in=["PT-0001", "PT-0002"]).exists()
    assert all(v.missed_reason for v in FollowUpVisit.objects.filter(status="missed"))


def test_a_logins_file_of_another_demo_database_leaves_the_reports_open(users, settings, tmp_path):
    """The demo's logins file (EVQMS_HOME/demo-logins.json) may hold a password the physician here
    does not have: the reports then stay open, and the rest of the demo loads. Before, the refused
    signature stopped the outcomes, the safety reports and the whole cohort (seen when another test
    had written the file in the same home)."""
    import json

    settings.EVQMS_HOME = tmp_path
    (tmp_path / "demo-logins.json").write_text(json.dumps({"physician": "not-this-physicians-password"}))
    _demo_lots()
    inventory_demo.load(users)
    clinical_demo.load(users)
    assert Patient.objects.filter(code="PT-0030").exists()
    assert SafetyReport.objects.filter(kind="initial", submitted_on__isnull=True).count() == 2
