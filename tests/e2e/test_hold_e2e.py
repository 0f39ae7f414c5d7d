"""In a real browser: QA places a hold on a material lot from its forward trace; every lot the trace
finds is held (a released lot's units go on hold, a quarantined lot's release gate names the hold);
QA lifts the hold with a reason and the password, and the units return to use."""

from __future__ import annotations

import pytest
from django.utils import timezone

from evqms.testing import factories as f


@pytest.mark.django_db(transaction=True)
def test_hold_on_a_material_lot(page, live_server, make_user, login, shot):
    from evqms.inventory import services as inventory
    from evqms.inventory.models import Aliquot
    from evqms.lots.models import LotHold, MaterialUsage
    from evqms.trace.models import Hold

    operator = make_user("op-hold", "operator")
    qa = make_user("qa-hold", "qa_reviewer")
    hpl = f.material_lot("Human platelet lysate", "HPL-HOLD", kind="supplement", is_biological=True)
    released = f.lot("UCEV-HOLD-01", status="released")
    waiting = f.lot("UCEV-HOLD-02", status="quarantine")
    other = f.lot("UCEV-HOLD-03", status="released")  # made without HPL-HOLD: not held
    for lot in (released, waiting):
        MaterialUsage.objects.create(
            lot=lot, material_lot=hpl, quantity=1, unit="L", recorded_by=operator, recorded_at=timezone.now()
        )
    units = inventory.create_aliquots(actor=operator, lot=released, count=2, volume_ml="1.0")
    inventory.create_aliquots(actor=operator, lot=other, count=1, volume_ml="1.0")

    login(page, qa)
    page.goto(f"{live_server.url}/trace/material_lot/HPL-HOLD/")
    with page.expect_navigation():
        page.click("#place-hold")
    assert page.locator("#id_code").input_value() == "HPL-HOLD"
    preview = page.locator("#hold-preview").inner_text()
    assert "UCEV-HOLD-01" in preview and "UCEV-HOLD-02" in preview and "UCEV-HOLD-03" not in preview
    page.fill("#id_reason", "供給元からの通知：HPL-HOLD の無菌性に疑義")
    shot(page, "hold-01-form")
    with page.expect_navigation():
        page.locator("#hold-form button[type=submit]").click()
    hold = Hold.objects.get()
    assert f"/trace/holds/{hold.number}/" in page.url
    assert page.locator("#held-lots tbody tr").count() == 2
    shot(page, "hold-02-placed")
    assert {a.status for a in Aliquot.objects.filter(lot=released)} == {"on_hold"}
    assert Aliquot.objects.get(lot=other).status == "available"

    page.goto(f"{live_server.url}/lots/UCEV-HOLD-02/")
    assert hold.number in page.locator("#lot-holds").inner_text()
    assert hold.number in page.locator("#release-gate").inner_text()
    shot(page, "hold-03-lot-gate")

    page.goto(f"{live_server.url}/inventory/aliquots/{units[0].container_id}/")
    assert hold.number in page.locator("#hold-banner").inner_text()

    page.goto(f"{live_server.url}/trace/holds/{hold.number}/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.fill("#id_reason", "Supplier retest: sterile (certificate ST-88)")
    page.fill("#id_password", "wrong-password")
    with page.expect_navigation():
        page.locator("#release-hold-form button[type=submit]").click()
    assert page.locator("#release-hold-form .errorlist").count() == 1
    assert Hold.objects.get().status == "active"
    page.fill("#id_reason", "Supplier retest: sterile (certificate ST-88)")
    page.fill("#id_password", qa.raw_password)
    with page.expect_navigation():
        page.locator("#release-hold-form button[type=submit]").click()
    assert "Lifted" in page.locator("#hold-status").inner_text()
    assert "certificate ST-88" in page.locator("#hold-released").inner_text()
    shot(page, "hold-04-lifted-en")
    assert {a.status for a in Aliquot.objects.filter(lot=released)} == {"available"}
    assert not LotHold.objects.filter(released_at__isnull=True).exists()
