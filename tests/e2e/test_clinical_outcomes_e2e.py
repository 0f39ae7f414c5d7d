"""In a real browser, in Japanese and in English: a physician enables the pain rating for a product,
records a baseline before an administration (refused after it and off the scale), sees the
follow-up schedule, records a follow-up (refused a second time from a stale page), records a missed
visit with its reason, records a serious adverse event and sees its due date, and records the
report's submission with a signature (refused without the password), shown as late."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evqms.testing import factories as f

TEXT = {
    "ja": {
        "after": "ベースラインは投与",
        "scale": "尺度の範囲 0〜10 の外です",
        "done": "実施済みです",
        "password": "署名するにはパスワードを入力してください",
        "late": "期限後に提出",
        "overdue": "期限超過：5日",
    },
    "en": {
        "after": "a baseline is evaluated before the administration",
        "scale": "11 is outside the scale 0 to 10",
        "done": "is already done",
        "password": "enter your password to sign",
        "late": "Submitted late",
        "overdue": "Overdue: 5 days past due",
    },
}


def _submit(page, form: str):
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").click()


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.django_db(transaction=True)
def test_outcomes_visits_and_a_late_safety_report(page, live_server, make_user, login, shot, lang):
    from evqms.clinical import services as clinical
    from evqms.inventory import services as inventory

    text = TEXT[lang]
    physician = make_user("doc-out", "physician")
    operator = make_user("op-out", "operator")
    lot = f.lot("UCEV-OUT-01", status="released")
    (aliquot,) = inventory.create_aliquots(
        actor=operator, lot=lot, count=1, volume_ml="1.0", particle_count="2e10"
    )
    clinical.register_patient(
        actor=physician, code="PT-OUT-1", clinic_identifier="chart-out-1", consented_on=dt.date(2024, 1, 1)
    )
    given = timezone.localtime() - dt.timedelta(days=40)
    given = given.replace(hour=10, minute=0, second=0, microsecond=0)
    adm = clinical.record_administration(
        actor=physician,
        patient="PT-OUT-1",
        aliquots=[aliquot.container_id],
        administered_at=given,
        route="intra_articular",
    )
    base = live_server.url
    login(page, physician)
    if lang == "en":
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")

    # Enable the numeric pain rating for the product, follow-ups at 1 and 3 months.
    page.goto(f"{base}/clinical/outcomes/")
    page.select_option("#id_product", lot.product.code)
    page.select_option("#id_instrument", "nrs-pain")
    page.fill("#id_follow_up_months", "1, 3")
    shot(page, f"clinical-outcomes-01-instruments-{lang}")
    _submit(page, "#instrument-use-form")
    assert page.locator("#instrument-uses td", has_text=lot.product.code).count() == 1

    # The baseline: refused after the administration and off the scale, then recorded.
    page.goto(f"{base}/clinical/administrations/{adm.number}/")
    with page.expect_navigation():
        page.locator("a[href*='/baseline/']").first.click()
    page.fill("#id_evaluated_at", (given + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_item_pain", "7")
    _submit(page, "#evaluation-form")
    assert text["after"] in page.locator("#evaluation-form").inner_text()
    page.fill("#id_evaluated_at", (given - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_item_pain", "11")
    _submit(page, "#evaluation-form")
    assert text["scale"] in page.locator("#evaluation-form").inner_text()
    shot(page, f"clinical-outcomes-02-baseline-refused-{lang}")
    page.fill("#id_item_pain", "7")
    _submit(page, "#evaluation-form")
    assert f"/clinical/administrations/{adm.number}/" in page.url
    schedule = page.locator("#visits")
    # Hand-computed: one and three calendar months after the administration's local date.
    month1 = (given.date().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    assert schedule.locator("tr").count() == 3  # header + months 1 and 3
    assert month1.strftime("%Y-%m") in schedule.inner_text()
    shot(page, f"clinical-outcomes-03-schedule-{lang}")

    # The one-month visit: evaluated; a second recording from a page opened before is refused.
    with page.expect_navigation():
        schedule.locator("a").first.click()
    stale = page.context.new_page()
    stale.goto(page.url)
    page.fill("#id_fu-evaluated_at", (given + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_fu-item_pain", "3")
    _submit(page, "#follow-up-form")
    assert page.locator("#visit-score").count() == 1
    stale.fill("#id_fu-evaluated_at", (given + dt.timedelta(days=31)).strftime("%Y-%m-%dT%H:%M"))
    stale.fill("#id_fu-item_pain", "2")
    _submit(stale, "#follow-up-form")
    assert text["done"] in stale.content()
    shot(stale, f"clinical-outcomes-04-follow-up-twice-{lang}")
    stale.close()

    # The three-month visit: missed, with its reason.
    page.goto(f"{base}/clinical/administrations/{adm.number}/")
    with page.expect_navigation():
        page.locator("#visits a").nth(1).click()
    page.fill("#id_mv-reason", "転居のため来院できず" if lang == "ja" else "Moved away; could not attend")
    _submit(page, "#missed-form")
    assert page.locator("#visit-missed").count() == 1
    shot(page, f"clinical-outcomes-05-missed-{lang}")

    # A serious adverse event learnt of 20 days ago: due 15 days after, so 5 days overdue.
    learnt = timezone.localdate() - dt.timedelta(days=20)
    page.goto(f"{base}/clinical/adverse-events/new/?administration={adm.number}&patient=PT-OUT-1")
    page.fill("#id_onset", (given + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_description", "化膿性関節炎" if lang == "ja" else "Septic arthritis")
    page.fill("#id_ctcae_term", "Joint infection")
    page.select_option("#id_ctcae_grade", "3")
    page.check("input[name=seriousness_criteria][value=hospitalisation]")
    page.fill("#id_learned_on", learnt.isoformat())
    page.select_option("#id_causality", "possible")
    _submit(page, "#adverse-event-form")
    reports = page.locator("#ae-reports")
    assert (learnt + dt.timedelta(days=15)).isoformat() in reports.inner_text()
    assert text["overdue"] in reports.inner_text()
    shot(page, f"clinical-outcomes-06-serious-event-{lang}")

    # Its submission: refused without the password, then signed and shown as late.
    with page.expect_navigation():
        reports.locator("a").first.click()
    page.fill("#id_submitted_on", timezone.localdate().isoformat())
    page.fill("#id_late_reason", "培養結果を待った" if lang == "ja" else "Awaited the culture result")
    _submit(page, "#submission-form")
    assert text["password"] in page.locator("#submission-form").inner_text()
    shot(page, f"clinical-outcomes-07-no-password-{lang}")
    page.fill("#id_password", physician.raw_password)
    _submit(page, "#submission-form")
    assert text["late"] in page.locator("h1").inner_text()
    assert "Doc-Out" in page.locator("#report-signature").inner_text()
    shot(page, f"clinical-outcomes-08-submitted-late-{lang}")
    page.goto(f"{base}/clinical/safety-reports/")
    assert page.locator("#safety-reports .report-late").count() == 1
    shot(page, f"clinical-outcomes-09-reports-{lang}")
