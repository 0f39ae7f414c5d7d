"""A deviation worked to closure in a real browser, as QA, in Japanese and in English: opened by hand
from the deviation list on a quarantined lot, classified major, investigated, the lot's impact
assessed; the lot's release is blocked naming the deviation; closing is refused (no CAPA, the
message says so); a CAPA is created from the deviation's page; then the deviation closes with the
password and the lot is released."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from evqms.lots.models import Deviation, Lot

TEXT = {
    "ja": {"blocked": "分類「中程度」の逸脱", "refused": "CAPAの紐付けが必要", "released": "出荷可"},
    "en": {"blocked": "Major deviation", "refused": "needs a linked CAPA", "released": "Released"},
}


def _login(page, live_server, user):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", user.raw_password)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()


def _english(page):
    with page.expect_navigation():
        page.evaluate(
            "() => { const f = document.getElementById('language-form');"
            " f.querySelector('[name=language]').value = 'en'; f.submit(); }"
        )


def _submit(page, form: str):
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").click()


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.django_db(transaction=True)
def test_deviation_to_capa_to_release(page, live_server, world, shot, lang):
    lot = world.quarantined_lot(f"UCEV-E2E-DEV-{lang.upper()}")
    qa = world.qa2  # the releasing QA made, tested and verified nothing of this lot
    page.set_default_timeout(60000)  # a long walk on a shared machine
    _login(page, live_server, qa)
    if lang == "en":
        _english(page)
    text = TEXT[lang]

    # open by hand from the menu's deviation list
    with page.expect_navigation():
        page.locator('nav.main a[href="/deviations/"]').click()
    with page.expect_navigation():
        page.click("#deviation-new")
    page.fill("#id_description", "Cold room door left open for 40 minutes during the fill")
    page.fill("#id_lots", lot.number)
    shot(page, f"deviation_new_{lang}")
    _submit(page, "#deviation-form")
    dev = Deviation.objects.get(affected_lots=lot)
    expect(page.locator("h1")).to_contain_text(dev.number)

    page.locator("#deviation-classification summary").click()
    page.select_option("#id_classify-classification", "major")
    page.fill("#id_classify-reason", "Product exposed above 8 °C: potential impact on quality")
    _submit(page, "#classify-form")
    page.locator("#deviation-investigation summary").click()
    page.select_option("#id_investigate-root_cause_category", "personnel")
    page.fill("#id_investigate-investigation", "The door alarm had been muted during cleaning.")
    _submit(page, "#investigate-form")
    page.locator(f'#deviation-lots tr[data-lot="{lot.number}"] summary').click()
    page.select_option(f"#id_impact-{lot.pk}-assessment", "no_impact")
    page.fill(f"#id_impact-{lot.pk}-reasoning", "Product temperature log stayed at 2–8 °C")
    _submit(page, f'#deviation-lots tr[data-lot="{lot.number}"] form')

    # the release is blocked, naming the deviation
    page.goto(f"{live_server.url}/lots/{lot.number}/")
    expect(page.locator("#release-gate")).to_contain_text(f"{text['blocked']}")
    expect(page.locator("#release-gate")).to_contain_text(dev.number)
    expect(page.locator("#open-release")).to_be_disabled()
    shot(page, f"deviation_blocks_release_{lang}")

    # closing is refused without a CAPA
    page.goto(f"{live_server.url}/deviations/{dev.number}/")
    page.fill("#id_close-password", qa.raw_password)
    _submit(page, "#close-form")
    expect(page.locator("#close-form .errorlist")).to_contain_text(text["refused"])
    shot(page, f"deviation_close_refused_{lang}")

    # create the CAPA from the deviation's page
    with page.expect_navigation():
        page.click("#create-capa")
    expect(page.locator("#id_deviations")).to_have_value(dev.number)
    page.fill("#id_title", "Door alarm cannot be muted without QA")
    _submit(page, "#capa-form")
    expect(page.locator("#capa-deviations")).to_contain_text(dev.number)
    shot(page, f"capa_detail_{lang}")

    # now the deviation closes with the password
    page.goto(f"{live_server.url}/deviations/{dev.number}/")
    expect(page.locator("#closure-ready")).to_be_visible()
    page.fill("#id_close-resolution", "Investigated; CAPA opened for the alarm.")
    page.fill("#id_close-password", qa.raw_password)
    _submit(page, "#close-form")
    expect(page.locator("#deviation-closed")).to_be_visible()
    shot(page, f"deviation_closed_{lang}")

    # and the lot is released
    page.goto(f"{live_server.url}/lots/{lot.number}/")
    expect(page.locator("#open-release")).to_be_enabled()
    page.click("#open-release")
    page.fill("#id_release-password", qa.raw_password)
    page.click("#confirm-release")
    expect(page.locator("#lot-status")).to_contain_text(text["released"])
    assert Lot.objects.get(pk=lot.pk).status == "released"
    shot(page, f"deviation_lot_released_{lang}")

    page.goto(f"{live_server.url}/deviations/")
    shot(page, f"deviation_list_{lang}")
