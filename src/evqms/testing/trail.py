"""A small history for the audit trail's tests: a lot taken through QC, a deviation, release,
aliquots, an administration and an adverse event, a hold on its cell bank and a recall, with a
second lot beside it (tests/audit and the browser walk)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def build_history(world, rf_request, make_user):
    """Lot UCEV-A through QC, a deviation, release, two aliquots (one administered to patient
    P-7, who then has an adverse event), a hold on its cell bank and a recall; lot UCEV-B beside it."""
    from evqms.clinical import services as clinical
    from evqms.inventory import services as inventory
    from evqms.lots import services as lots
    from evqms.testing.deviations import settle_deviation
    from evqms.trace import services as trace

    physician = make_user("doc1", "physician")
    lot_a = world.quarantined_lot("UCEV-A")
    deviation = lots.open_deviation(actor=world.qa, lot=lot_a, description="Fill volume low on 2 vials")
    settle_deviation(deviation, world.qa, resolution="Within tolerance after review")
    lot_a.refresh_from_db()
    lot_a = lots.release_lot(request=rf_request, actor=world.qa2, lot=lot_a, password=world.qa2.raw_password)
    lot_b = world.new_lot("UCEV-B")
    aliquots = inventory.create_aliquots(actor=world.operator, lot=lot_a, count=2, volume_ml="1.0")
    patient = clinical.register_patient(
        actor=physician, code="P-7", clinic_identifier="CHART-7", consented_on=dt.date(2024, 6, 1)
    )
    when = timezone.now() - dt.timedelta(days=1)
    adm = clinical.record_administration(
        actor=physician,
        patient="P-7",
        aliquots=[aliquots[0].container_id],
        administered_at=when,
        route="intra_articular",
    )
    ae = clinical.record_adverse_event(
        actor=physician,
        patient="P-7",
        administration=adm.number,
        onset=when + dt.timedelta(hours=2),
        description="Knee swelling",
        ctcae_grade=1,
        causality="possible",
        outcome="recovering",
    )
    hold = trace.place_hold(
        actor=world.qa, scope="cell_bank", code=world.bank.code, reason="Mycoplasma query"
    )
    recall = trace.recall_lot(
        request=rf_request, actor=world.qa, lot=lot_a, reason="Endotoxin OOS", password=world.qa.raw_password
    )
    return dict(
        lot_a=lot_a,
        lot_b=lot_b,
        deviation=deviation,
        aliquots=aliquots,
        patient=patient,
        adm=adm,
        ae=ae,
        hold=hold,
        recall=recall,
        physician=physician,
    )
