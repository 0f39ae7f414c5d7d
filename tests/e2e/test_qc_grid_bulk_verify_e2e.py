"""In a real browser, in Japanese and English, at tablet width (1024 px): a QC analyst enters every
result of a lot in the grid (a bad value first: refused on its row, nothing recorded), then a second
analyst verifies all of them with one signature (select all, review, the password once)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evqms.audit.models import Signature
from evqms.lots.models import QCResult

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = {
    "ja": {"recorded": "QC 結果を 5 件記録しました。", "verified": "QC 結果 5 件を確認し、署名しました。"},
    "en": {"recorded": "5 QC results recorded.", "verified": "5 QC results verified and signed."},
}
VALUES = {"particle_concentration": "5.2e10", "modal_size": "118", "endotoxin": "0.10"}
CHOICES = {"cd63": "positive", "sterility": "no growth"}
# The run controls endotoxin and sterility results need: chosen in a select, the recovery typed.
CONTROLS = {
    "endotoxin": {"negative_control": "not detected", "positive_recovery": "95"},
    "sterility": {"positive_control": "detected", "negative_control": "not detected"},
}


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_grid_entry_then_verification_with_one_signature(browser, live_server, make_user, login, shot, lang):
    from evqms.testing.world import World

    world = World.build(make_user)
    number = f"UCEV-GRID-{lang.upper()}"
    lot = world.in_qc(number)
    text = TEXT[lang]
    context = browser.new_context(
        viewport={"width": 1024, "height": 800}, locale="ja-JP" if lang == "ja" else "en-US"
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    lot_url = f"{live_server.url}/lots/{number}/"

    # --- the analyst: the grid, a refused row, then all five in one save -------------------
    login(page, world.analyst)
    page.goto(lot_url)
    with page.expect_navigation():
        page.click("#qc-grid-link")
    expect(page.locator("table.qc-grid tbody tr")).to_have_count(5)
    page.fill("#id_grid-tested_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    for code, value in VALUES.items():
        page.fill(f"#id_g{world.attr(code).pk}-value", "abc" if code == "modal_size" else value)
    for code, choice in CHOICES.items():
        page.select_option(f"#id_g{world.attr(code).pk}-text_value", choice)
    for code, controls in CONTROLS.items():
        for field, value in controls.items():
            selector = f"#id_g{world.attr(code).pk}-{field}"
            if field == "positive_recovery":
                page.fill(selector, value)
            else:
                page.select_option(selector, value)
    shot(page, f"qc-grid-01-filled-{lang}-1024")
    _no_sideways_scroll(page)
    with page.expect_navigation():
        page.click("#save-grid")
    size_errors = page.locator(f"#id_g{world.attr('modal_size').pk}-value_errors")
    expect(size_errors).to_contain_text("abc")
    assert not QCResult.objects.filter(lot=lot).exists()  # all or nothing
    shot(page, f"qc-grid-02-row-refused-{lang}-1024")
    page.fill(f"#id_g{world.attr('modal_size').pk}-value", VALUES["modal_size"])
    with page.expect_navigation():
        page.click("#save-grid")
    expect(page.locator("main")).to_contain_text(text["recorded"])
    expect(page.locator("#qc tr.result")).to_have_count(5)
    assert QCResult.objects.filter(lot=lot, analyst=world.analyst).count() == 5

    # --- the second analyst: select all, review, sign once ---------------------------------
    context.clear_cookies()
    login(page, world.analyst2)
    page.goto(lot_url)
    with page.expect_navigation():
        page.click("#qc-verify-link")
    expect(page.locator("table.qc-verify tbody tr")).to_have_count(5)
    shot(page, f"qc-verify-01-select-{lang}-1024")
    _no_sideways_scroll(page)
    with page.expect_navigation():
        page.click("#review-all")
    expect(page.locator("table.qc-verify tbody tr")).to_have_count(5)
    page.fill("#id_password", "not-my-password")
    with page.expect_navigation():
        page.click("#sign-verification")
    expect(page.locator("#id_password_errors")).to_be_visible()
    assert not QCResult.objects.filter(lot=lot, verified_by__isnull=False).exists()
    page.fill("#id_password", world.analyst2.raw_password)
    shot(page, f"qc-verify-02-review-{lang}-1024")
    _no_sideways_scroll(page)
    with page.expect_navigation():
        page.click("#sign-verification")
    expect(page.locator("main")).to_contain_text(text["verified"])
    assert QCResult.objects.filter(lot=lot, verified_by=world.analyst2).count() == 5
    assert Signature.objects.filter(meaning="verification", signer=world.analyst2).count() == 5
    expect(page.locator("#qc-verify-link")).to_have_count(0)
    shot(page, f"qc-verify-03-done-{lang}-1024")
    context.close()
