"""In a real browser (Japanese UI): an operator ships an aliquot from its page to a registered
consignee (a missing consignee is refused next to the field first), then records a temperature excursion on the freezer's page and
sees it in the list of past excursions."""

from __future__ import annotations

import pytest

from evqms.testing import factories as f


@pytest.mark.django_db(transaction=True)
def test_ship_an_aliquot_and_record_an_excursion(page, live_server, make_user, login, shot):
    from evqms.audit.models import AuditEvent
    from evqms.inventory import services as inventory
    from evqms.inventory.models import Aliquot, TemperatureExcursion

    operator = make_user("op-ship", "operator")
    site = inventory.create_location(actor=operator, code="E2E-S", name="本館", kind="site")
    freezer = inventory.create_location(
        actor=operator,
        code="E2E-F1",
        name="超低温フリーザー1",
        kind="freezer",
        parent=site,
        temperature_c="-80",
    )
    rack = inventory.create_location(
        actor=operator, code="E2E-F1-R1", name="ラック1", kind="rack", parent=freezer
    )
    box = inventory.create_location(actor=operator, code="E2E-F1-R1-B1", name="箱1", kind="box", parent=rack)
    positions = [
        inventory.create_location(actor=operator, code=f"E2E-P{i}", name=f"P{i}", kind="position", parent=box)
        for i in (1, 2)
    ]
    inventory.create_consignee(
        actor=operator,
        code="KYOTO-CL",
        name="京都クリニック",
        address="京都市中京区烏丸通 1",
        site="整形外科",
        contact_name="佐藤医師",
    )
    lot = f.lot("UCEV-E2E-SHIP", status="released")
    a1, a2 = inventory.create_aliquots(
        actor=operator, lot=lot, count=2, volume_ml="1.0", particle_count="2e10", locations=positions
    )

    login(page, operator)
    page.goto(f"{live_server.url}/inventory/aliquots/{a1.container_id}/")
    assert page.locator("#ship-form").count() == 1
    # the browser's own check would stop an empty choice; without it the server refuses it on the field
    page.evaluate("document.getElementById('id_consignee').removeAttribute('required')")
    with page.expect_navigation():
        page.locator("#ship-form button[type=submit]").click()
    assert "出荷先" in page.locator("#consignee-errors").inner_text()
    assert Aliquot.objects.get(pk=a1.pk).status == "available"
    shot(page, "inventory-ship-01-missing-destination")

    page.select_option("#id_consignee", "KYOTO-CL")
    page.fill("#id_reference", "クール便 123-456")
    with page.expect_navigation():
        page.locator("#ship-form button[type=submit]").click()
    assert "出荷しました" in page.locator(".messages").inner_text()
    assert "京都クリニック (整形外科)" in page.locator("#aliquot-shipments").inner_text()
    assert page.locator("#ship-form").count() == 0
    shot(page, "inventory-ship-02-shipped")
    a1.refresh_from_db()
    assert (a1.status, a1.location_id) == ("shipped", None)
    assert AuditEvent.objects.filter(action="aliquot.ship", object_id=str(a1.pk)).count() == 1

    page.goto(f"{live_server.url}/inventory/locations/")
    with page.expect_navigation():
        page.click("a[href='/inventory/locations/E2E-F1/']")
    assert page.locator("#excursions tbody").inner_text().strip() == "温度逸脱の記録はありません。"
    assert a2.container_id in page.locator("#stored").inner_text()
    page.fill("#id_started_at", "2024-06-01T08:00")
    page.fill("#id_ended_at", "2024-06-01T07:00")  # before the start: the service refuses it
    page.fill("#id_extreme_temperature_c", "-52.5")
    page.fill("#id_description", "補充後に扉が半開きのままだった")
    with page.expect_navigation():
        page.locator("#excursion-form button[type=submit]").click()
    assert "終了日時" in page.locator("#ended_at-errors").inner_text()
    assert not TemperatureExcursion.objects.exists()
    shot(page, "inventory-excursion-01-end-before-start")

    page.fill("#id_ended_at", "2024-06-01T09:30")
    page.fill("#id_assessment", "-20 °C 以下を維持。EV の品質への影響なし。")
    with page.expect_navigation():
        page.locator("#excursion-form button[type=submit]").click()
    assert "温度逸脱を記録しました" in page.locator(".messages").inner_text()
    row = page.locator("#excursions tbody tr").first.inner_text()
    assert "2024-06-01 08:00" in row and "2024-06-01 09:30" in row and "-52.5" in row
    assert "補充後に扉が半開きのままだった" in row
    shot(page, "inventory-excursion-02-recorded")
    assert TemperatureExcursion.objects.get().location_id == freezer.pk
    assert AuditEvent.objects.filter(action="location.excursion", object_id=str(freezer.pk)).count() == 1

    page.goto(f"{live_server.url}/inventory/locations/")
    freezer_row = page.locator("tbody tr").filter(has=page.locator("a", has_text="E2E-F1")).first
    assert freezer_row.locator(".badge.warn").inner_text() == "1"
    shot(page, "inventory-excursion-03-location-list")
