"""/api/v1/clinical/ visits and safety reports: read-only, with the state and clock the pages show."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from evqms.clinical import services


def test_visits_and_reports_in_the_api(world, client, make_user):
    _op, doc, lot, aliquots, _p = world
    given = timezone.now() - dt.timedelta(days=40)
    adm = services.record_administration(
        actor=doc,
        patient="P-100",
        aliquots=[aliquots[0].container_id],
        administered_at=given,
        route="intra_articular",
    )
    use = services.enable_instrument(
        actor=doc, product=lot.product, instrument="vas-pain", follow_up_months=[1]
    )
    services.record_baseline(
        actor=doc,
        administration=adm,
        use=use,
        evaluated_at=given - dt.timedelta(hours=1),
        values={"pain": "55"},
    )
    learnt = timezone.localdate() - dt.timedelta(days=3)
    services.record_adverse_event(
        actor=doc,
        patient="P-100",
        administration=adm,
        onset=given + dt.timedelta(days=1),
        description="Cardiac arrest",
        ctcae_grade=4,
        causality="unlikely",
        learned_on=learnt,
    )
    client.force_login(doc)
    (visit,) = client.get("/api/v1/clinical/visits/").json()
    assert (visit["administration"], visit["instrument"], visit["month"], visit["status"]) == (
        adm.number,
        "vas-pain",
        1,
        "scheduled",
    )
    (report,) = client.get("/api/v1/clinical/safety-reports/").json()
    # Grade 4 meets "life-threatening": due 7 days after the day learnt, 3 days ago: 4 days left.
    assert (report["state"], report["days_left"], report["due_on"]) == (
        "open",
        4,
        (learnt + dt.timedelta(days=7)).isoformat(),
    )
    (evaluation,) = client.get("/api/v1/clinical/evaluations/").json()
    assert evaluation["score"] == "55.000" and evaluation["kind"] == "baseline"
    client.force_login(make_user("cl-op-api", "operator"))
    assert client.get("/api/v1/clinical/safety-reports/").status_code == 403
    assert client.post("/api/v1/clinical/safety-reports/", {}).status_code in (403, 405)
