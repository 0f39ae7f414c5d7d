"""In a real browser, Japanese then English: a QC analyst (who samples the rooms) works through the
day's schedule: a settle plate exposed too long is refused next to its field, then recorded; a bad
import file is refused naming line and column; the point's trend shows the alert and action limits.
QA sees the excursion of the grade B room with the deviation it opened naming the lot made there
that day, reviews it, and sets a limit with its reason on the limits page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


def _english(page, live_server):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


@pytest.mark.django_db(transaction=True)
def test_environmental_monitoring_walk(page, live_server, make_user, login, shot):
    from evqms.environment import demo
    from evqms.environment.models import LimitSetting, Sample
    from evqms.equipment.models import Room
    from evqms.lots.models import StepRecord
    from evqms.testing import factories as f

    users = {
        "analyst": make_user("em-tech", "qc_analyst"),
        "analyst2": make_user("em-tech2", "qc_analyst"),
        "qa": make_user("em-qa", "qa_reviewer"),
    }
    room_b = Room.objects.create(code="CR-B01", name="無菌操作室", grade="B")
    Room.objects.create(code="CR-C01", name="細胞培養室", grade="C")
    lot = f.lot("UCEV-26-010")
    made = timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=9), dt.time(9)))
    StepRecord.objects.create(lot=lot, step=lot.process.steps.order_by("order").first(), operator=users["qa"],
                              started_at=made, finished_at=made + dt.timedelta(hours=4), room=room_b,
                              recorded_at=made)  # fmt: skip
    demo.load(users)
    base = live_server.url

    # --- the analyst (Japanese) -----------------------------------------------------------
    login(page, users["analyst"])
    page.goto(f"{base}/environment/schedule/")
    shot(page, "environment-01-schedule-ja")
    missed = Sample.objects.get(status="missed")
    assert missed.number in page.locator("#samples tbody tr.flagged").first.inner_text(), missed.due_on
    due = Sample.objects.filter(status="due", due_on=timezone.localdate(), method="settle_plate").first()
    page.goto(f"{base}/environment/samples/{due.number}/")
    page.fill("#result-form #id_sampled_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.fill("#result-form #id_count", "1")
    page.fill("#result-form #id_exposure_minutes", "300")
    with page.expect_navigation():
        page.locator("#result-form button[type=submit]").click()
    assert "240" in page.locator("#exposure_minutes-errors").inner_text()
    shot(page, "environment-02-exposure-refused-ja")
    page.fill("#result-form #id_exposure_minutes", "240")
    with page.expect_navigation():
        page.locator("#result-form button[type=submit]").click()
    assert "基準内" in page.locator("#result-value").inner_text()
    shot(page, "environment-03-result-recorded-ja")

    page.goto(f"{base}/environment/results/import/")
    bad = b"point,method,sampled_at,count\nCR-B01-SP02,contact_plate,2026-11-02T09:00,many\n"
    page.set_input_files("#id_file", files=[{"name": "em.csv", "mimeType": "text/csv", "buffer": bad}])
    with page.expect_navigation():
        page.locator("#import-form button[type=submit]").click()
    errors = page.locator("#import-errors").inner_text()
    assert "2" in errors and "count" in errors
    shot(page, "environment-04-import-refused-ja")

    point = due.point
    page.goto(f"{base}/environment/points/{point.pk}/trend/settle_plate/")
    page.wait_for_timeout(500)
    assert "処置基準超過" in page.locator("#trend-text").inner_text()
    shot(page, "environment-05-trend-ja")

    _english(page, live_server)
    page.goto(f"{base}/environment/points/{point.pk}/trend/settle_plate/")
    page.wait_for_timeout(500)
    assert "at action level" in page.locator("#trend-text").inner_text()
    shot(page, "environment-06-trend-en")
    page.goto(f"{base}/environment/schedule/")
    shot(page, "environment-07-schedule-en")

    # --- QA -------------------------------------------------------------------------------
    page.context.clear_cookies()
    login(page, users["qa"])
    page.goto(f"{base}/environment/")
    assert page.locator("#to-review tbody tr").count() >= 1
    shot(page, "environment-08-index-ja")
    excursion = Sample.objects.get(verdict="action")
    page.goto(f"{base}/environment/samples/{excursion.number}/")
    assert excursion.deviation.number in page.locator("#deviation").inner_text()
    assert [x.number for x in excursion.deviation.affected_lots.all()] == ["UCEV-26-010"]
    shot(page, "environment-09-excursion-ja")
    page.fill("#review-form #id_note", "逸脱で調査中。当日の充填ロット UCEV-26-010 を評価する。")
    with page.expect_navigation():
        page.locator("#review-form button[type=submit]").click()
    assert Sample.objects.get(pk=excursion.pk).reviewed_by == users["qa"]

    page.goto(f"{base}/environment/limits/")
    page.select_option("#id_grade", "D")
    page.select_option("#id_method", "contact_plate")
    page.fill("#id_alert", "20")
    page.fill("#id_action", "50")
    page.select_option("#id_action_source", "annex1")
    page.fill("#id_reason", "CCS-001 v3: D室の傾向に基づく警報基準値")
    with page.expect_navigation():
        page.locator("#limit-form button[type=submit]").click()
    assert LimitSetting.objects.filter(grade="D", method="contact_plate").exists()
    shot(page, "environment-10-limits-ja")

    _english(page, live_server)
    page.goto(f"{base}/environment/limits/")
    assert "9.30, Table 6" in page.locator("#limits").inner_text()
    shot(page, "environment-11-limits-en")
    page.goto(f"{base}/environment/samples/{excursion.number}/")
    shot(page, "environment-12-excursion-en")
