"""The release rules in a real browser: QA opens a quarantined lot with no expiry and no retention sample
(the checklist says why release is refused, and a forced release is refused by the server), records an
expiry beyond the approved shelf life (refused, the limit and its source shown), corrects it, records a
retention sample from the link, and releases. Then each role's menu: only what the role can open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evqms.lots.models import Lot
from evqms.lots.selectors import add_months
from evqms.testing.world import passing_controls

LOT = "UCEV-E2E-REL"


def _login(page, live_server, user, next_url="/"):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
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


def _quarantined_lot(make_user):
    from evqms.lots import services
    from evqms.testing import factories as f

    product = f.product(retention_sample_required=True)
    spec = f.specification(product)
    spec.shelf_life_months = 18
    spec.shelf_life_basis = "ICH Q1E stability study: 18.3 months at -80 °C"
    spec.save()
    analyst, analyst2 = make_user("qc-rel", "qc_analyst"), make_user("qc2-rel", "qc_analyst")
    made = timezone.localdate() - dt.timedelta(days=30)
    lot = f.lot(LOT, status="qc", prod=product, manufactured_on=made)
    Lot.objects.filter(pk=lot.pk).update(expiry=None)
    passing = {
        "particle_concentration": ("5e10", "particles/mL", ""),
        "modal_size": ("120", "nm", ""),
        "cd63": (None, "", "positive"),
        "endotoxin": ("0.1", "EU/mL", ""),
        "sterility": (None, "", "no growth"),
    }
    for code, (value, unit, text) in passing.items():
        r = services.record_qc_result(
            actor=analyst, lot=lot, attribute=spec.attributes.get(code=code), value=value, unit=unit,
            text_value=text, tested_at=timezone.now() - dt.timedelta(hours=2),
            controls=passing_controls(spec.attributes.get(code=code)),
        )  # fmt: skip
        services.verify_qc_result(actor=analyst2, result=r)
    return services.complete_qc(actor=analyst, lot=lot)


@pytest.mark.django_db(transaction=True)
def test_release_refused_without_expiry_and_retention_then_released(page, live_server, make_user, shot):
    lot = _quarantined_lot(make_user)
    qa = make_user("qa-rel", "qa_reviewer")
    url = f"{live_server.url}/lots/{LOT}/"
    _login(page, live_server, qa, f"/lots/{LOT}/")
    page.goto(url)
    checklist = page.locator("#release-checklist")
    expect(checklist.locator("[data-code=no_expiry]")).to_be_visible()
    expect(checklist.locator("[data-code=no_retention_sample]")).to_contain_text("参考品")
    expect(page.locator("#open-release")).to_be_disabled()
    # forcing the dialog open: the server refuses the release and says why
    page.evaluate("() => document.getElementById('release-dialog').showModal()")
    page.fill("#id_release-password", qa.raw_password)
    page.click("#confirm-release")
    expect(page.locator("#release-dialog")).to_contain_text("有効期限がありません")
    shot(page, "release_refused_no_expiry_no_retention_ja")
    assert Lot.objects.get(pk=lot.pk).status == "quarantine"

    page.goto(url)
    _english(page)
    expect(page.locator("#release-checklist")).to_contain_text("the lot has no expiry date")
    expect(page.locator("#release-checklist")).to_contain_text("requires a retention sample")
    shot(page, "release_refused_no_expiry_no_retention_en")

    # an expiry of 44 months, as the old demo had: refused against 18 months, limit and source shown
    made = lot.manufactured_on
    page.locator("#expiry-entry summary").click()
    page.fill("#id_expiry", add_months(made, 44).isoformat())
    page.click("#save-expiry")
    beyond = page.locator("#release-checklist [data-code=expiry_beyond_shelf_life]")
    expect(beyond).to_contain_text(add_months(made, 18).isoformat())
    expect(beyond).to_contain_text("source: specification v1: ICH Q1E stability study: 18.3 months")
    shot(page, "release_refused_expiry_beyond_shelf_life_en")

    page.locator("#expiry-entry summary").click()
    page.fill("#id_expiry", add_months(made, 18).isoformat())
    page.fill("#id_reason", "Shelf life is 18 months (specification v1)")
    page.click("#save-expiry")
    expect(page.locator("#release-checklist [data-code=expiry_within_shelf_life]")).to_be_visible()

    with page.expect_navigation():
        page.click("#record-retention")
    expect(page.locator("#id_lot")).to_have_value(LOT)
    page.fill("#id_quantity", "2 vials")
    page.locator("form.card button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    page.goto(url)
    expect(page.locator("#release-checklist [data-code=retention_sample_kept]")).to_be_visible()
    expect(page.locator("#open-release")).to_be_enabled()
    shot(page, "release_checklist_clear_en")
    page.click("#open-release")
    page.fill("#id_release-password", qa.raw_password)
    page.click("#confirm-release")
    expect(page.locator("#lot-status")).to_contain_text("Released")
    assert Lot.objects.get(pk=lot.pk).status == "released"


@pytest.mark.django_db(transaction=True)
def test_role_menus_show_what_each_role_can_open(page, live_server, make_user, shot):
    operator = make_user("op-menu", "operator")
    physician = make_user("doc-menu", "physician")
    admin = make_user("admin-menu", "administrator")
    for user, name in ((operator, "operator"), (physician, "physician"), (admin, "admin")):
        _login(page, live_server, user)
        links = page.locator("nav.main a")
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        assert ("/clinical/" in hrefs) == (name == "physician"), (name, hrefs)
        for href in hrefs:
            response = page.request.get(f"{live_server.url}{href}")
            assert response.status != 403, (name, href)
        shot(page, f"role_menu_{name}_ja")
        if name == "physician":
            _english(page)
            shot(page, "role_menu_physician_en")
