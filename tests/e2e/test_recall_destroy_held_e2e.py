"""In a real browser, in Japanese and in English: QA sees the open recall on the dashboard, opens it,
and destroys a unit kept in stock on hold (controlled disposal): a wrong password is refused on the
form and destroys nothing; with the password the unit is listed as destroyed in-house (who signed,
when, why, where it was stored) and its aliquot page reads discarded; the other unit stays on hold."""

from __future__ import annotations

import pytest

from evqms.testing import factories as f


def _recalled(make_user, suffix: str):
    from django.test import RequestFactory

    from evqms.inventory import services as inventory
    from evqms.trace import services

    operator = make_user(f"op-dh-{suffix}", "operator")
    qa = make_user(f"qa-dh-{suffix}", "qa_reviewer")
    lot = f.lot(f"UCEV-DH-{suffix}", status="released")
    site = inventory.create_location(actor=operator, code=f"SITE-{suffix}", name="Site", kind="site")
    freezer = inventory.create_location(
        actor=operator, code=f"FRZ-{suffix}", name="-80 °C", kind="freezer", parent=site
    )
    units = inventory.create_aliquots(
        actor=operator, lot=lot, count=2, volume_ml="1.0", locations=[freezer] * 2
    )
    request = RequestFactory().post("/")
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    recall = services.recall_lot(
        request=request, actor=qa, lot=lot, reason="Endotoxin OOS", password=qa.raw_password
    )
    return qa, recall, units


def _walk(page, live_server, login, shot, lang: str, qa, recall, units):
    from evqms.inventory.models import Aliquot

    en = lang == "en"
    login(page, qa)
    if en:
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")
    page.goto(f"{live_server.url}/")
    cards = page.locator("main").inner_text()
    assert ("open recalls" if en else "件の回収が進行中") in cards
    shot(page, f"destroy-held-{lang}-01-dashboard")

    page.goto(f"{live_server.url}/trace/recalls/{recall.number}/")
    held = page.locator("#held-stock")
    assert units[0].container_id in held.inner_text() and units[1].container_id in held.inner_text()
    page.check(f"#destroy-unit-{units[0].container_id}")
    page.fill(
        "#destroy-reason", "Autoclaved, certificate DC-12" if en else "オートクレーブ処理、廃棄証明書 DC-12"
    )
    page.fill("#destroy-password", "not-my-password")
    with page.expect_navigation():
        page.locator("#destroy-held-button").click()
    assert ("password is wrong" if en else "パスワード") in page.locator("#destroy-errors").inner_text()
    assert Aliquot.objects.get(pk=units[0].pk).status == "on_hold"
    page.locator("#destroy-errors").scroll_into_view_if_needed()
    shot(page, f"destroy-held-{lang}-02-wrong-password")

    page.check(f"#destroy-unit-{units[0].container_id}")
    page.fill(
        "#destroy-reason", "Autoclaved, certificate DC-12" if en else "オートクレーブ処理、廃棄証明書 DC-12"
    )
    page.fill("#destroy-password", qa.raw_password)
    with page.expect_navigation():
        page.locator("#destroy-held-button").click()
    destroyed = page.locator("#destroyed-units").inner_text()
    assert units[0].container_id in destroyed and "DC-12" in destroyed and recall.number not in destroyed
    assert ("Destroyed" if en else "廃棄済み") in destroyed and "JST" in destroyed
    assert f"FRZ-{lang.upper()}" in destroyed  # where it was stored
    assert units[0].container_id not in page.locator("#held-units").inner_text()
    assert Aliquot.objects.get(pk=units[1].pk).status == "on_hold"
    page.locator("#held-stock").scroll_into_view_if_needed()
    shot(page, f"destroy-held-{lang}-03-destroyed")

    page.goto(f"{live_server.url}/inventory/aliquots/{units[0].container_id}/")
    text = page.locator("main").inner_text()
    assert ("Discarded" if en else "廃棄") in text and recall.number in text
    assert page.locator("#hold-banner").count() == 0  # out of use for good, not "on hold"
    shot(page, f"destroy-held-{lang}-04-aliquot")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_destroy_held_stock_japanese(page, live_server, make_user, login, shot):
    qa, recall, units = _recalled(make_user, "JA")
    _walk(page, live_server, login, shot, "ja", qa, recall, units)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_destroy_held_stock_english(page, live_server, make_user, login, shot):
    qa, recall, units = _recalled(make_user, "EN")
    _walk(page, live_server, login, shot, "en", qa, recall, units)
