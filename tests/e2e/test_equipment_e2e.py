"""In a real browser: QA keeps the instrument register (Japanese), an analyst's QC result on an
instrument past its calibration is refused naming it and its due date, a calibration (certificate
uploaded) lets the result in; an excursion on the freezer that is a storage unit opens a deviation
and holds what it stored, and QA (English) assesses a held aliquot with the password."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.testing import factories as f


def _english(page, live_server, next_url):
    page.goto(f"{live_server.url}/i18n/setlang/")
    page.evaluate(
        """(next) => { const f = document.createElement('form'); f.method = 'post'; f.action = '/i18n/setlang/';
        for (const [k, v] of [['language', 'en'], ['next', next],
            ['csrfmiddlewaretoken', document.cookie.match(/csrftoken=([^;]+)/)[1]]]) {
          const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i); }
        document.body.appendChild(f); f.submit(); }""",
        next_url,
    )
    page.wait_for_url(f"**{next_url}")


def _as(browser, login, user):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(90000)  # a loaded machine: the first page can be slow
    login(page, user)
    return context, page


@pytest.mark.django_db(transaction=True)
def test_register_overdue_refusal_calibration_and_excursion(
    browser, live_server, make_user, login, shot, tmp_path
):
    from evqms.equipment import services as equipment
    from evqms.equipment.models import Instrument
    from evqms.inventory import services as inventory
    from evqms.inventory.models import Aliquot
    from evqms.lots.models import Deviation, QCResult
    from evqms.testing.world import World

    world = World.build(make_user)
    today = timezone.localdate()
    room = equipment.create_room(actor=world.qa, code="QC-C01", name="QC 試験室", grade="C")
    nta = equipment.register_instrument(
        actor=world.qa, identifier="NTA-01", kind="nta", name="NanoSight NS300", room=room,
        owner=world.analyst, calibration_interval_days=180,
    )  # fmt: skip
    equipment.record_calibration(
        actor=world.analyst, instrument=nta, performed_on=today - dt.timedelta(days=200),
        performed_by="Malvern", result="pass",
    )  # fmt: skip
    due = (today - dt.timedelta(days=20)).isoformat()  # 200 days ago + 180
    lot = world.in_qc("UCEV-E2E-EQ")
    modal = world.attr("modal_size")

    # QA: the register in Japanese, with the overdue NTA flagged; a new instrument registered
    qa_context, qa = _as(browser, login, world.qa)
    try:
        qa.goto(f"{live_server.url}/equipment/")
        row = qa.locator("#register tbody tr").filter(has=qa.locator("a", has_text="NTA-01"))
        assert "校正期限切れ" in row.inner_text() and "20 日超過" in row.inner_text()
        qa.fill("#id_identifier", "PR-01")
        qa.select_option("#id_kind", "plate_reader")
        qa.fill("#id_name", "マイクロプレートリーダー")
        qa.select_option("#id_room", "QC-C01")
        qa.fill("#id_calibration_interval_days", "365")
        shot(qa, "equipment-01-register-ja")
        with qa.expect_navigation():
            qa.locator("#instrument-form button[type=submit]").click()
        assert "機器 PR-01 を登録しました" in qa.locator(".messages").inner_text()
        assert Instrument.objects.filter(identifier="PR-01", room=room).exists()
        shot(qa, "equipment-02-registered-ja")
    finally:
        qa_context.close()

    # Analyst: a QC result on the overdue NTA is refused naming it and its due date
    context, page = _as(browser, login, world.analyst)
    try:
        page.goto(f"{live_server.url}/lots/{lot.number}/")
        form = page.locator(f"form[action='/lots/{lot.number}/qc/{modal.pk}/']")
        form.locator(f"#id_a{modal.pk}-value").fill("121")
        form.locator(f"#id_a{modal.pk}-instrument").fill("NTA-01")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        message = page.locator(f"form[action='/lots/{lot.number}/qc/{modal.pk}/'] .errorlist").inner_text()
        assert "機器 NTA-01 は校正期限" in message and due in message, message
        assert not QCResult.objects.filter(lot=lot).exists()
        shot(page, "equipment-03-qc-refused-overdue-ja")

        # the analyst (the NTA's owner) records its calibration, with the certificate
        page.goto(f"{live_server.url}/equipment/instruments/NTA-01/")
        certificate = tmp_path / "NTA-01-cert.pdf"
        certificate.write_bytes(b"%PDF-1.4 calibration certificate NTA-01")
        page.fill("#calibration-form input[name=performed_on]", today.isoformat())
        page.fill("#calibration-form input[name=performed_by]", "Malvern サービス")
        page.select_option("#calibration-form select[name=result]", "pass")
        page.set_input_files("#calibration-form input[name=certificate]", str(certificate))
        with page.expect_navigation():
            page.locator("#calibration-form button[type=submit]").click()
        assert "校正を記録しました" in page.locator(".messages").inner_text()
        assert (today + dt.timedelta(days=180)).isoformat() in page.locator("#calibration-due").inner_text()
        assert "NTA-01-cert.pdf" in page.locator("#calibrations").inner_text()
        shot(page, "equipment-04-calibrated-ja")

        page.goto(f"{live_server.url}/lots/{lot.number}/")
        form = page.locator(f"form[action='/lots/{lot.number}/qc/{modal.pk}/']")
        form.locator(f"#id_a{modal.pk}-value").fill("121")
        form.locator(f"#id_a{modal.pk}-instrument").fill("nta-01")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert QCResult.objects.get(lot=lot, attribute=modal).instrument.identifier == "NTA-01"
        assert "NTA-01" in page.locator(f"#attr-{modal.code}").inner_text()
        shot(page, "equipment-05-qc-recorded-ja")

        # the same refusal in English
        equipment.record_calibration(
            actor=world.analyst, instrument=Instrument.objects.get(identifier="PR-01"),
            performed_on=today - dt.timedelta(days=400), performed_by="Vendor", result="pass",
        )  # fmt: skip
        _english(page, live_server, f"/lots/{lot.number}/")
        endotoxin = world.attr("endotoxin")
        form = page.locator(f"form[action='/lots/{lot.number}/qc/{endotoxin.pk}/']")
        form.locator(f"#id_a{endotoxin.pk}-value").fill("0.1")
        form.locator(f"#id_a{endotoxin.pk}-instrument").fill("PR-01")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        message = page.locator(
            f"form[action='/lots/{lot.number}/qc/{endotoxin.pk}/'] .errorlist"
        ).inner_text()
        pr_due = (today - dt.timedelta(days=35)).isoformat()
        assert f"instrument PR-01 is past its calibration due date {pr_due}: it cannot be used" in message
        shot(page, "equipment-06-qc-refused-overdue-en")
    finally:
        context.close()

    # The freezer is a storage unit: an excursion opens a deviation and holds what it stored
    freezer_unit = equipment.register_instrument(
        actor=world.qa, identifier="FRZ-01", kind="freezer", name="−80 °C フリーザー", room=room,
        is_storage_unit=True, min_temperature_c="-90", max_temperature_c="-70",
    )  # fmt: skip
    site = inventory.create_location(actor=world.operator, code="TKY", name="本館", kind="site")
    freezer = inventory.create_location(
        actor=world.operator, code="TKY-F01", name="フリーザー1", kind="freezer", parent=site,
        storage_unit=freezer_unit,
    )  # fmt: skip
    released = f.lot("UCEV-E2E-REL", status="released")
    units = inventory.create_aliquots(
        actor=world.operator, lot=released, count=2, volume_ml="1", locations=[freezer, freezer]
    )

    context, page = _as(browser, login, world.operator)
    try:
        page.goto(f"{live_server.url}/inventory/locations/TKY-F01/")
        assert "FRZ-01" in page.locator("#storage-unit").inner_text()
        page.fill("#id_started_at", (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
        page.fill("#id_ended_at", (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
        page.fill("#id_extreme_temperature_c", "-48.0")
        page.fill("#id_description", "停電で 1 時間 -48 °C まで上昇")
        with page.expect_navigation():
            page.locator("#excursion-form button[type=submit]").click()
        number = Deviation.objects.get(source="storage").number
        assert number == "DEV-UCEV-E2E-REL-01"
        assert f"逸脱 {number} を起票" in page.locator(".messages").inner_text()
        held = page.locator(f"#held-{number}").inner_text()
        assert units[0].container_id in held and units[1].container_id in held
        shot(page, "equipment-07-excursion-held-ja")
        page.goto(f"{live_server.url}/inventory/aliquots/{units[0].container_id}/")
        assert f"逸脱 {number}" in page.locator("#hold-banner").inner_text()
        shot(page, "equipment-08-aliquot-held-ja")
    finally:
        context.close()

    context, page = _as(browser, login, world.qa)
    try:
        _english(page, live_server, "/inventory/locations/TKY-F01/")
        row = page.locator(f"#held-{units[0].container_id}")
        row.locator("summary").click()
        row.locator("input[value=release]").check()
        row.locator("textarea").fill("Logger: above -70 °C for 60 min; stability data cover 24 h at -20 °C")
        row.locator("input[type=password]").fill("wrong password")
        with page.expect_navigation():
            row.locator("button[type=submit]").click()
        assert "password is wrong" in page.locator(f"#held-{units[0].container_id} .errorlist").inner_text()
        assert Aliquot.objects.get(pk=units[0].pk).status == "on_hold"
        shot(page, "equipment-09-assess-wrong-password-en")
        row = page.locator(f"#held-{units[0].container_id}")
        if not row.locator("textarea").is_visible():
            row.locator("summary").click()
        row.locator("input[value=release]").check()
        row.locator("textarea").fill("Logger: above -70 °C for 60 min; stability data cover 24 h at -20 °C")
        row.locator("input[type=password]").fill(world.qa.raw_password)
        with page.expect_navigation():
            row.locator("button[type=submit]").click()
        assert f"{units[0].container_id}: Available." in page.locator(".messages").inner_text()
        assert Aliquot.objects.get(pk=units[0].pk).status == "available"
        assert units[0].container_id not in page.locator(f"#held-{number}").inner_text()
        shot(page, "equipment-10-assessed-en")
        page.goto(f"{live_server.url}/equipment/")
        shot(page, "equipment-11-register-en")
    finally:
        context.close()
