"""Identifiers in a real browser: a lot number with "/" is refused on its field (Japanese and
English), a legacy row stored before the rule is shown unlinked on the lot list instead of a 500,
and QA corrects it on /identifiers/ with a reason."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from evqms.lots.models import Lot

pytestmark = pytest.mark.e2e


def _create_form(page, live_server, product, process, spec, bank, number):
    page.goto(f"{live_server.url}/lots/new/")
    page.fill("#id_number", number)
    page.select_option("#id_product", str(product.pk))
    page.select_option("#id_process", str(process.pk))
    page.select_option("#id_specification", str(spec.pk))
    page.select_option("#id_cell_bank", str(bank.pk))
    page.fill("#id_manufactured_on", "2024-05-01")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()


@pytest.mark.django_db(transaction=True)
def test_bad_lot_number_field_error_and_legacy_row(page, live_server, make_user, login, shot):
    from evqms.testing import factories as f

    user = make_user("qa-ids", "operator", "qa_reviewer")
    product, bank = f.product(), f.cell_bank()
    process, spec = f.process(product), f.specification(product)
    f.lot("UCEV-24-001", status="released")
    f.lot("UCEV/24/002", status="released")  # stored by an older version, before the rule
    f.lot("</script><b>x", status="released")
    login(page, user)

    _create_form(page, live_server, product, process, spec, bank, "UCEV/24/003")
    expect(page.locator("#id_number_errors")).to_contain_text("使えない文字: /")
    shot(page, "identifiers-01-create-field-error-ja")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    _create_form(page, live_server, product, process, spec, bank, "ucev-24-001")
    expect(page.locator("#id_number_errors")).to_contain_text("already exists as UCEV-24-001")
    shot(page, "identifiers-02-create-look-alike-en")
    _create_form(page, live_server, product, process, spec, bank, "ＵＣＥＶ－２４－００４")
    assert page.url.endswith("/lots/UCEV-24-004/")

    page.goto(f"{live_server.url}/lots/")
    expect(page.locator("a", has_text="UCEV-24-001")).to_have_count(1)
    expect(page.locator(".bad-identifier", has_text="UCEV/24/002")).to_be_visible()
    expect(page.locator(".bad-identifier", has_text="</script><b>x")).to_be_visible()
    shot(page, "identifiers-03-lot-list-legacy-rows-en")

    page.goto(f"{live_server.url}/identifiers/")
    expect(page.locator("#identifier-violations")).to_contain_text("UCEV/24/002")
    page.locator("#identifier-violations tr", has_text="UCEV/24/002").locator("a").click()
    page.fill("#id_new", "UCEV-24-002")
    page.fill("#id_reason", "a slash was typed for a hyphen")
    shot(page, "identifiers-04-qa-correction-en")
    with page.expect_navigation():
        page.click("#submit-correction")
    assert Lot.objects.filter(number="UCEV-24-002").exists()
    page.goto(f"{live_server.url}/lots/")
    expect(page.locator("a", has_text="UCEV-24-002")).to_have_count(1)
    with page.expect_navigation():
        page.select_option("select[name=language]", "ja")
    page.goto(f"{live_server.url}/identifiers/")
    shot(page, "identifiers-05-check-page-ja")
