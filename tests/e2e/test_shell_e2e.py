"""A person logs in, switches language and reads the audit trail, in a real browser."""

import pytest


@pytest.mark.django_db(transaction=True)
def test_login_switch_language_and_audit_trail(page, live_server, make_user, login, shot):
    auditor = make_user("auditor1", "auditor")
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "ログイン"  # Japanese first (the browser's locale)
    shot(page, "foundation-01-login-ja")

    page.fill("#id_username", "auditor1")
    page.fill("#id_password", "wrong-password")
    page.locator("form button[type=submit]").last.click()
    assert page.locator("[role=alert]").count() == 1
    shot(page, "foundation-02-login-error")

    login(page, auditor)
    assert page.locator("h1").inner_text() == "ダッシュボード"
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("h1").inner_text() == "Dashboard"
    shot(page, "foundation-03-dashboard-en")

    with page.expect_navigation():
        page.click("text=Audit trail")
    assert page.locator("h1").inner_text() == "Audit trail"
    assert page.locator("td code", has_text="user.create").count() >= 1
    with page.expect_navigation():
        page.click("text=Verify the chain")
    assert "Intact" in page.locator("#verify-result").inner_text()
    shot(page, "foundation-04-audit-trail")
