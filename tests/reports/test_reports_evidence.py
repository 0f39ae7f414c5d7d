"""What the evidence says, per product and lot: a small hand-built product (3 lots, 10 patients,
known events, pain scores at baseline, 1 and 3 months, a missed visit and overdue ones) whose
figures are worked out by hand or read from published tables in the comments, never from the
code under test; the lot flagged where it must be and not where it must not; the grouped reads.

Layout (one administration per patient, one aliquot each, all in 2025):
    lot EVH-A: P01-P04 (4 administrations), no event
    lot EVH-B: P05-P07 (3 administrations), no event
    lot EVH-C: P08-P10 (3 administrations), 2 events each = 6 events:
        P08 grade 3 serious (hospitalisation) + grade 1; P09 grade 3 serious (other important)
        + grade 2; P10 grade 1 + grade 1
NRS pain (0-10, lower is better, MID 2), follow-up months 1 and 3:
    baseline     P01 8, P02 8, P03 9, P04 7, P05 8, P06 9, P07 10, P08 6, P09 5, P10 7
    month 1      6, 7, 6, 5, 6, 8, 7, 4, 3, P10 missed        -> changes -2 -1 -3 -2 -2 -1 -3 -2 -2
    month 3      7, 6, 6, 3, 3, 3, 3, P08 missed, P09 and P10 never recorded (overdue)
                                                                -> changes -1 -2 -3 -4 -5 -6 -7
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.utils import timezone

from evqms.reports import evidence
from evqms.testing import factories as f

pytestmark = pytest.mark.django_db

LOTS = {"EVH-A": ["P01", "P02", "P03", "P04"], "EVH-B": ["P05", "P06", "P07"], "EVH-C": ["P08", "P09", "P10"]}
BASELINE = {
    "P01": 8,
    "P02": 8,
    "P03": 9,
    "P04": 7,
    "P05": 8,
    "P06": 9,
    "P07": 10,
    "P08": 6,
    "P09": 5,
    "P10": 7,
}
MONTH_1 = {"P01": 6, "P02": 7, "P03": 6, "P04": 5, "P05": 6, "P06": 8, "P07": 7, "P08": 4, "P09": 3}
MONTH_3 = {"P01": 7, "P02": 6, "P03": 6, "P04": 3, "P05": 3, "P06": 3, "P07": 3}
# (patient, grade, seriousness criteria)
EVENTS = [
    ("P08", 3, ["hospitalisation"]),
    ("P08", 1, []),
    ("P09", 3, ["other_important"]),
    ("P09", 2, []),
    ("P10", 1, []),
    ("P10", 1, []),
]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def hand_product(code: str = "ev-hand", *, events=EVENTS, prefix: str = "EVH", follow_up=True):
    """The product of the module docstring, built through the services. Returns (product, lots, physician)."""
    from evqms.clinical import services as clinical
    from evqms.clinical.models import FollowUpVisit
    from evqms.inventory import services as inventory

    physician = f.user(f"{code}-doc", "physician")
    operator = f.user(f"{code}-op", "operator")
    product = f.product(code, name="Hand-built EV product")
    lots, adms = {}, {}
    first = dt.date(2025, 2, 3)
    for i, (suffix, patients) in enumerate(
        (("A", LOTS["EVH-A"]), ("B", LOTS["EVH-B"]), ("C", LOTS["EVH-C"]))
    ):
        lot = f.lot(f"{prefix}-{suffix}", status="released", prod=product)
        lots[lot.number] = lot
        aliquots = inventory.create_aliquots(actor=operator, lot=lot, count=len(patients), volume_ml="1.0")
        for j, (patient, aliquot) in enumerate(zip(patients, aliquots, strict=True)):
            clinical.register_patient(
                actor=physician,
                code=f"{code}-{patient}",
                clinic_identifier=f"chart-{code}-{patient}",
                consented_on=dt.date(2024, 12, 1),
            )
            adms[patient] = clinical.record_administration(
                actor=physician,
                patient=f"{code}-{patient}",
                aliquots=[aliquot.container_id],
                administered_at=_at(first + dt.timedelta(days=7 * i + j)),
                route="intra_articular",
            )
    for patient, grade, criteria in events:
        adm = adms[patient]
        clinical.record_adverse_event(
            actor=physician,
            patient=adm.patient,
            administration=adm,
            onset=adm.administered_at + dt.timedelta(hours=6),
            description=f"event of {patient}",
            ctcae_grade=grade,
            causality="possible",
            seriousness_criteria=criteria,
            learned_on=timezone.localtime(adm.administered_at).date() + dt.timedelta(days=1),
        )
    if follow_up:
        use = clinical.enable_instrument(
            actor=physician, product=product, instrument="nrs-pain", follow_up_months=[1, 3]
        )
        for patient, adm in adms.items():
            baseline = clinical.record_baseline(
                actor=physician,
                administration=adm,
                use=use,
                evaluated_at=adm.administered_at - dt.timedelta(hours=1),
                values={"pain": BASELINE[patient]},
            )
            for month, scores in ((1, MONTH_1), (3, MONTH_3)):
                visit = FollowUpVisit.objects.get(baseline=baseline, month=month)
                if patient in scores:
                    clinical.record_follow_up(
                        actor=physician,
                        visit=visit,
                        evaluated_at=_at(visit.due_on),
                        values={"pain": scores[patient]},
                    )
                elif (patient, month) in (("P10", 1), ("P08", 3)):
                    clinical.record_missed_visit(actor=physician, visit=visit, reason="could not be reached")
    return product, lots, physician


def close(a, b, tol=5e-4):
    return a is not None and math.isclose(a, b, abs_tol=tol)


def test_product_counts_rates_and_intervals():
    product, _lots, _doc = hand_product()
    ev = evidence.product_evidence(product)
    s = ev["summary"]
    assert (s["administrations"], s["patients"], s["events"], s["serious"], s["non_serious"]) == (
        10,
        10,
        6,
        2,
        4,
    )
    assert [g["count"] for g in s["by_grade"]] == [3, 1, 2, 0, 0]
    assert {c["code"]: c["count"] for c in s["by_criterion"]} == {
        "death": 0, "life_threatening": 0, "hospitalisation": 1, "disability": 0,
        "congenital_anomaly": 0, "other_important": 1,
    }  # fmt: skip
    # 3 of 10 patients had an event: Clopper-Pearson 95 % 0.0667 - 0.6525 (R binom.test(3, 10);
    # the published exact table of Geigy/Documenta for 3/10 gives 6.7 % - 65.2 %).
    r = s["patient_rate"]
    assert (r["events"], r["exposures"]) == (3, 10)
    assert close(r["low"], 0.06674) and close(r["high"], 0.65245)
    # 2 of 10 with a serious event: 0.0252 - 0.5561 (binom.test(2, 10)).
    r = s["patient_serious_rate"]
    assert close(r["low"], 0.02521) and close(r["high"], 0.55610)
    # 6 events in 10 administrations = 60 per 100; Garwood's exact limits of a count of 6 are
    # 2.2019 - 13.0594 (published Poisson tables, e.g. Sahai & Khurshid 1993), so 22.02 - 130.59.
    r = s["administration_rate"]
    assert close(r["rate"], 60.0) and close(r["low"], 22.019, 5e-3) and close(r["high"], 130.594, 5e-3)
    # 2 serious: limits of a count of 2 are 0.2422 - 7.2247 -> 2.42 - 72.25 per 100.
    r = s["administration_serious_rate"]
    assert close(r["low"], 2.422, 5e-3) and close(r["high"], 72.247, 5e-3)


def test_lot_counts_and_the_flagged_lot():
    product, lots, _doc = hand_product()
    ev = evidence.product_evidence(product)
    by_lot = {row["number"]: row for row in ev["lots"]}
    assert {
        n: (r["administrations"], r["patients"], r["events"], r["serious"]) for n, r in by_lot.items()
    } == {
        "EVH-A": (4, 4, 0, 0),
        "EVH-B": (3, 3, 0, 0),
        "EVH-C": (3, 3, 6, 2),
    }
    # EVH-C against the rest: 6 of the 6 events in 3 of 10 administrations. Under equal rates the
    # lot's share is Binomial(6, 3/10): P(X >= 6) = 0.3^6 = 0.000729. The other lots have no
    # event (p = 1). Holm over 3 lots: 3 x 0.000729 = 0.002187 < 0.05, flagged; the others 1.
    c = by_lot["EVH-C"]["signal"]
    assert close(c["p_value"], 0.000729, 1e-7) and close(c["p_adjusted"], 0.002187, 1e-7)
    assert by_lot["EVH-C"]["flagged"] and not by_lot["EVH-A"]["flagged"] and not by_lot["EVH-B"]["flagged"]
    assert by_lot["EVH-A"]["signal"]["p_adjusted"] == 1.0
    assert [row["number"] for row in ev["flagged"]] == ["EVH-C"]
    assert ev["lots_tested"] == 3


def test_no_lot_flagged_when_the_excess_is_chance():
    # EVH-C 2 events, EVH-A 1: for C, X ~ Binomial(3, 3/10), P(X >= 2) = 3(0.09)(0.7) + 0.027 = 0.216;
    # Holm can only raise it: nothing reaches 0.05.
    product, _lots, _doc = hand_product(
        "ev-calm", events=[("P01", 1, []), ("P08", 1, []), ("P09", 2, [])], prefix="EVQ", follow_up=False
    )
    ev = evidence.product_evidence(product)
    by_lot = {row["number"]: row for row in ev["lots"]}
    assert close(by_lot["EVQ-C"]["signal"]["p_value"], 0.216, 1e-9)
    assert ev["flagged"] == []


def test_flagged_lot_lists_its_retention_samples():
    from evqms.inventory.models import RetentionSample

    product, lots, doc = hand_product()
    RetentionSample.objects.create(
        lot=lots["EVH-C"], quantity="2 vials", retain_until=dt.date(2027, 1, 31),
        recorded_by=doc, recorded_at=timezone.now(),
    )  # fmt: skip
    RetentionSample.objects.create(
        lot=lots["EVH-A"], quantity="1 vial", recorded_by=doc, recorded_at=timezone.now()
    )
    ev = evidence.product_evidence(product)
    (flagged,) = ev["flagged"]
    assert [s["quantity"] for s in flagged["retention_samples"]] == ["2 vials"]


def test_change_from_baseline_responders_and_completeness():
    product, _lots, _doc = hand_product()
    (nrs,) = evidence.product_evidence(product)["outcomes"]
    assert nrs["code"] == "nrs-pain" and nrs["baselines"] == 10 and nrs["mid"] == 2.0
    m1, m3 = nrs["months"]
    # Month 1: 10 expected, 9 done, P10 missed.
    assert (m1["expected"], m1["done"], m1["missed"], m1["overdue"], m1["pending"]) == (10, 9, 1, 0, 0)
    assert not m1["complete"]
    # Changes -2 -1 -3 -2 -2 -1 -3 -2 -2: mean -2, squared deviations 0+1+1+0+0+1+1+0+0 = 4,
    # SD = sqrt(4/8) = 0.70711, SE = 0.70711/3 = 0.23570, t = -2/0.23570 = -8.4853; t(0.975, 8)
    # = 2.306004 (Student's table): CI -2 +- 0.54352 = -2.54352 to -1.45648.
    c = m1["change"]
    assert c["n"] == 9 and c["dropped"] == 1
    assert close(c["mean_change"], -2.0, 1e-9) and close(c["sd_change"], 0.70711, 1e-5)
    assert close(c["t_statistic"], -8.4853, 1e-4)
    assert close(c["low"], -2.54352, 1e-4) and close(c["high"], -1.45648, 1e-4)
    # Responders (change <= -2): 7 of 9; Clopper-Pearson 0.3999 - 0.9719 (binom.test(7, 9)).
    r = m1["responders"]
    assert (r["responders"], r["available"], r["expected"]) == (7, 9, 10)
    assert close(r["low"], 0.39991) and close(r["high"], 0.97186)
    # Month 3: 10 expected, 7 done, P08 missed, P09 and P10 overdue (the windows closed in 2025).
    assert (m3["expected"], m3["done"], m3["missed"], m3["overdue"], m3["missing"]) == (10, 7, 1, 2, 3)
    c = m3["change"]
    # Changes -1..-7: mean -4, SD = sqrt(28/6) = 2.16025, SE = 0.81650, t = -4.89898; t(0.975, 6)
    # = 2.446912: CI -4 +- 1.99788 = -5.99788 to -2.00212; two-sided p = 2 P(T6 > 4.899) = 0.00271
    # (R: 2*pt(-4.89898, 6)). Wilcoxon, 7 distinct negative changes: V = 0 and the exact two-sided
    # p is 2 / 2^7 = 0.015625 (the one arrangement of signs as extreme, counted on both sides).
    assert c["n"] == 7 and c["dropped"] == 3
    assert close(c["t_statistic"], -4.89898, 1e-4) and close(c["t_p_value"], 0.00271, 5e-5)
    assert close(c["low"], -5.99788, 1e-4) and close(c["high"], -2.00212, 1e-4)
    assert c["wilcoxon_statistic"] == 0 and close(c["wilcoxon_p_value"], 0.015625, 1e-9)
    assert c["wilcoxon_method"] == "wilcoxon_exact"
    # Responders: 6 of 7 (-2 .. -7); Clopper-Pearson 0.4213 - 0.9964 (binom.test(6, 7)); over all
    # 10 expected, between 6/10 and 9/10.
    r = m3["responders"]
    assert (r["responders"], r["available"], r["expected"]) == (6, 7, 10)
    assert close(r["low"], 0.42128) and close(r["high"], 0.99639)
    assert close(r["share_if_missing_failed"], 0.6, 1e-9) and close(
        r["share_if_missing_responded"], 0.9, 1e-9
    )


def test_a_year_without_administrations_and_with_them():
    product, _lots, _doc = hand_product()
    empty = evidence.product_evidence(product, period=evidence.Period.year(2024))
    assert empty["summary"]["administrations"] == 0 and empty["summary"]["patient_rate"] is None
    assert empty["lots"] == [] and empty["outcomes"] == []
    assert evidence.product_evidence(product, period=evidence.Period.year(2025))["summary"]["events"] == 6


@pytest.mark.parametrize("year", ["abc", "1999", "", "20x5"])
def test_a_malformed_year_is_refused(year):
    from evqms.errors import InputError

    with pytest.raises(InputError):
        evidence.Period.year(year)


def _more_patients(product, doc, lot_number: str, n: int):
    """Another lot of `product` given to `n` more patients, each with an event."""
    from evqms.clinical import services as clinical
    from evqms.inventory import services as inventory

    lot = f.lot(lot_number, status="released", prod=product)
    for i, aliquot in enumerate(
        inventory.create_aliquots(actor=f.user("more-op", "operator"), lot=lot, count=n, volume_ml="1.0")
    ):
        code = f"{lot_number}-P{i}"
        clinical.register_patient(
            actor=doc, code=code, clinic_identifier=f"chart-{code}", consented_on=dt.date(2024, 12, 1)
        )
        adm = clinical.record_administration(
            actor=doc,
            patient=code,
            aliquots=[aliquot.container_id],
            administered_at=_at(dt.date(2025, 5, 1)),
            route="intra_articular",
        )
        clinical.record_adverse_event(
            actor=doc, patient=code, administration=adm, onset=adm.administered_at + dt.timedelta(hours=2),
            description="headache", ctcae_grade=1, causality="unlikely",
        )  # fmt: skip


def test_reads_do_not_grow_with_patients_or_lots(django_assert_max_num_queries):
    product, _lots, doc = hand_product()
    # lots, administrations' lots, events, flagged lots' retention samples, instrument uses,
    # baselines, visits: 7 queries, however many patients and lots.
    with django_assert_max_num_queries(7):
        evidence.product_evidence(product)
    _more_patients(product, doc, "EVH-D", 4)
    _more_patients(product, doc, "EVH-E", 4)
    with django_assert_max_num_queries(7):
        ev = evidence.product_evidence(product)
    assert ev["summary"]["patients"] == 18 and len(ev["lots"]) == 5


def test_a_rating_of_change_is_summarised_without_a_baseline():
    """PGIC enabled before the administrations (visits at month 1), rated by hand: P01-P04 1, 2, 2,
    3; P05 4; P06 missed; P07-P10 not rated (their windows closed in 2025: overdue). 10 expected,
    5 rated, responders (2 or better) 3 of 5: binom.test(3, 5) 0.1466 - 0.9473; over all 10
    expected 3/10 to 8/10."""
    from evqms.clinical import services as clinical
    from evqms.clinical.models import FollowUpVisit

    physician = f.user("pgic-doc", "physician")
    product = f.product("ev-pgic", name="PGIC product")
    clinical.enable_instrument(actor=physician, product=product, instrument="pgic", follow_up_months=[1])
    hand_product("ev-pgic-2", events=[], prefix="EVP", follow_up=False)  # another product: not counted
    from evqms.inventory import services as inventory

    operator = f.user("pgic-op", "operator")
    lot = f.lot("EVP-X", status="released", prod=product)
    aliquots = inventory.create_aliquots(actor=operator, lot=lot, count=10, volume_ml="1.0")
    ratings = {0: 1, 1: 2, 2: 2, 3: 3, 4: 4}
    for i, aliquot in enumerate(aliquots):
        clinical.register_patient(
            actor=physician,
            code=f"PG-{i}",
            clinic_identifier=f"chart-pg-{i}",
            consented_on=dt.date(2024, 12, 1),
        )
        adm = clinical.record_administration(
            actor=physician, patient=f"PG-{i}", aliquots=[aliquot.container_id],
            administered_at=_at(dt.date(2025, 2, 3) + dt.timedelta(days=i)), route="intra_articular",
        )  # fmt: skip
        visit = FollowUpVisit.objects.get(administration=adm, month=1)
        assert visit.baseline_id is None
        if i in ratings:
            clinical.record_follow_up(
                actor=physician, visit=visit, evaluated_at=_at(visit.due_on), values={"change": ratings[i]}
            )
        elif i == 5:
            clinical.record_missed_visit(actor=physician, visit=visit, reason="moved away")
    (pgic,) = evidence.product_evidence(product)["outcomes"]
    assert pgic["code"] == "pgic" and not pgic["needs_baseline"] and pgic["threshold"] == 2.0
    (m1,) = pgic["months"]
    assert (m1["expected"], m1["done"], m1["missed"], m1["overdue"]) == (10, 5, 1, 4)
    assert m1["change"] is None and m1["responders"] is None  # nothing to compare with
    r = m1["ratings"]
    assert r["distribution"] == [[1.0, 1], [2.0, 2], [3.0, 1], [4.0, 1]]
    assert (r["responders"], r["available"], r["expected"]) == (3, 5, 10)
    assert close(r["low"], 0.14663) and close(r["high"], 0.94726)
    assert close(r["share_if_missing_failed"], 0.3, 1e-9) and close(
        r["share_if_missing_responded"], 0.8, 1e-9
    )
