"""In a real browser: a physician records an administration and an adverse event, opens its trace;
a QA reviewer recalls the lot with a signature and sees every recipient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.testing import factories as f


@pytest.mark.django_db(transaction=True)
def test_administration_adverse_event_trace_and_recall(page, live_server, make_user, login, shot):
    from evqms.clinical import services as clinical
    from evqms.inventory import services as inventory
    from evqms.lots.models import MaterialUsage

    physician = make_user("doc1", "physician")
    qa = make_user("qa1", "qa_reviewer")
    operator = make_user("op1", "operator")
    mcb = f.cell_bank("MCB-E2E", kind="MCB", donor_obj=f.donor("D-E2E"))
    wcb = f.cell_bank("WCB-E2E", kind="WCB", parent=mcb)
    lot = f.lot("UCEV-E2E-01", status="released", bank=wcb)
    hpl = f.material_lot("Human platelet lysate", "HPL-E2E", kind="supplement", is_biological=True)
    MaterialUsage.objects.create(
        lot=lot, material_lot=hpl, quantity=1, unit="L", recorded_by=operator, recorded_at=timezone.now()
    )
    aliquots = inventory.create_aliquots(
        actor=operator, lot=lot, count=3, volume_ml="1.0", particle_count="2e10"
    )
    inventory.record_retention_sample(actor=operator, aliquot=aliquots[2])
    clinical.register_patient(
        actor=physician, code="PT-E2E-1", clinic_identifier="chart-e2e-1", consented_on=dt.date(2024, 1, 1)
    )
    clinical.register_patient(
        actor=physician, code="PT-E2E-2", clinic_identifier="chart-e2e-2", consented_on=dt.date(2024, 1, 1)
    )
    clinical.record_administration(
        actor=physician,
        patient="PT-E2E-2",
        aliquots=[aliquots[1].container_id],
        administered_at=timezone.now() - dt.timedelta(days=2),
        route="intra_articular",
    )

    login(page, physician)
    page.goto(f"{live_server.url}/clinical/administrations/new/")
    page.fill("#id_patient", "PT-E2E-1")
    page.fill("#id_aliquots", aliquots[0].container_id)
    when = timezone.localtime() - dt.timedelta(hours=3)
    page.fill("#id_administered_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_route", "intra_articular")
    page.fill("#id_site", "右膝")
    page.fill("#id_body_weight_kg", "60")
    shot(page, "trace-01-administration-form")
    with page.expect_navigation():
        page.locator("#administration-form button[type=submit]").click()
    assert "/clinical/administrations/ADM-" in page.url
    adm_number = page.url.rstrip("/").rsplit("/", 1)[1]
    assert "3.333 × 10⁸" in page.content()  # 2e10 particles / 60 kg, to four significant figures
    shot(page, "trace-02-administration")

    # The same aliquot again: refused with a clear message, nothing recorded
    page.goto(f"{live_server.url}/clinical/administrations/new/")
    page.fill("#id_patient", "PT-E2E-1")
    page.fill("#id_aliquots", aliquots[0].container_id)
    page.fill("#id_administered_at", when.strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        page.locator("#administration-form button[type=submit]").click()
    assert aliquots[0].container_id in page.locator("[role=alert]").inner_text()
    shot(page, "trace-03-refused-used-aliquot")

    page.goto(f"{live_server.url}/clinical/adverse-events/new/?administration={adm_number}&patient=PT-E2E-1")
    page.fill("#id_onset", (when + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_description", "注射部位の腫脹と熱感")
    page.select_option("#id_ctcae_grade", "2")
    page.select_option("#id_causality", "probable")
    with page.expect_navigation():
        page.locator("#adverse-event-form button[type=submit]").click()
    assert "/clinical/adverse-events/AE-" in page.url
    shot(page, "trace-04-adverse-event")
    with page.expect_navigation():
        page.click("#open-trace")
    svg = page.locator("#lineage svg")
    assert svg.count() == 1
    for code in ("UCEV-E2E-01", "WCB-E2E", "MCB-E2E", "D-E2E", "HPL-E2E", "PT-E2E-1"):
        assert page.locator("#lineage", has_text=code).count() == 1, code
    shot(page, "trace-05-trace-back")

    # QA recalls the lot from the forward trace
    page.locator("form[action$='logout/'] button").click()
    login(page, qa)
    page.goto(f"{live_server.url}/trace/lot/UCEV-E2E-01/")
    assert page.locator("#recipients tbody tr").count() == 2
    shot(page, "trace-06-trace-forward")
    with page.expect_navigation():
        page.locator("a.button.danger").first.click()
    page.fill("#id_reason", "参考品のエンドトキシン試験が規格外")
    page.fill("#id_password", "wrong-password-123")
    with page.expect_navigation():
        page.locator("#recall-form button[type=submit]").click()
    assert page.locator("#recall-form [role=alert]").count() == 1
    page.fill("#id_reason", "参考品のエンドトキシン試験が規格外")
    page.fill("#id_password", qa.raw_password)
    with page.expect_navigation():
        page.locator("#recall-form button[type=submit]").click()
    assert "/trace/recalls/RC-" in page.url
    rows = page.locator("#recipients tbody tr")
    assert rows.count() == 2
    assert {"PT-E2E-1", "PT-E2E-2"} <= set(page.locator("#recipients").inner_text().split())
    shot(page, "trace-07-recall")
    with page.expect_download() as download:
        page.click("#export-pdf")
    assert download.value.suggested_filename.endswith(".pdf")
