"""Accounts in a real browser: the idle sign-out warning, "My tokens", the administrator's users page;
no page breaks the Content-Security-Policy (console errors are collected)."""

import re

import pytest


def _csp_watch(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def _english(page):
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")  # data-autosubmit (behaviours.js)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_idle_warning_stay_signed_in_then_signed_out(
    page, live_server, make_user, login, shot, settings, lang
):
    settings.SESSION_IDLE_TIMEOUT = 14
    settings.SESSION_IDLE_WARNING = 10
    csp = _csp_watch(page)
    qa = make_user(f"idle-{lang}", "qa_reviewer")
    login(page, qa)
    if lang == "en":
        _english(page)
    banner = page.locator("#idle-warning")
    banner.wait_for(state="visible", timeout=10000)
    assert re.search(r"\d+", banner.inner_text())
    shot(page, f"accounts-01-idle-warning-{lang}")
    with page.expect_response(lambda r: "/accounts/session/ping/" in r.url and r.status == 200):
        page.click("#stay-signed-in")
    banner.wait_for(state="hidden", timeout=3000)
    # Nothing more is done: the page goes to the login page when the time is up, and says why.
    page.wait_for_url(re.compile(r"/accounts/login/"), timeout=25000)
    page.wait_for_load_state()
    assert page.locator(".messages li").count() == 1
    shot(page, f"accounts-02-signed-out-idle-{lang}")
    assert page.locator("#id_username").is_visible()
    assert not csp, csp


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_my_tokens_make_use_revoke(page, live_server, make_user, login, shot, lang):
    import httpx

    csp = _csp_watch(page)
    qa = make_user(f"tok-{lang}", "qa_reviewer")
    login(page, qa)
    if lang == "en":
        _english(page)
    with page.expect_navigation():
        page.click("#my-tokens-link")
    page.fill("#id_name", "LIMS export")
    with page.expect_navigation():
        page.click("#make-token")
    secret = page.locator("#token-secret").inner_text().strip()
    assert secret.startswith("evq_")
    shot(page, f"accounts-03-token-made-{lang}")
    api = f"{live_server.url}/api/v1/clinical/administrations/"
    assert httpx.get(api, headers={"Authorization": f"Token {secret}"}).status_code == 200
    page.goto(page.url)  # the page again (a GET): the secret is not shown twice
    assert secret not in page.content()
    with page.expect_navigation():
        page.locator("#token-table tr", has_text="LIMS export").locator("button").click()
    assert page.locator("#token-table .badge.bad").count() == 1
    shot(page, f"accounts-04-token-revoked-{lang}")
    assert httpx.get(api, headers={"Authorization": f"Token {secret}"}).status_code == 401
    assert not csp, csp


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_admin_users_page_deactivate_and_unlock(page, live_server, make_user, login, shot, lang):
    from django.test import Client

    csp = _csp_watch(page)
    admin = make_user(f"adm-{lang}", "administrator")
    make_user(f"qa-{lang}", "qa_reviewer", password="qa-correct-password-1")
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        stranger.post("/accounts/login/", {"username": f"qa-{lang}", "password": "wrong"})
    login(page, admin)
    if lang == "en":
        _english(page)
    with page.expect_navigation():
        page.click("nav.main a[href='/accounts/users/']")
    row = page.locator(f"#user-table tr[data-user='qa-{lang}']")
    assert row.locator(".badge.bad").count() == 1  # locked
    shot(page, f"accounts-05-users-{lang}")
    with page.expect_navigation():
        row.locator("a").click()
    assert page.locator("#locked-badge").is_visible()
    page.fill("#id_act-reason", "identity checked by phone")
    with page.expect_navigation():
        page.click("#unlock")
    assert page.locator("#locked-badge").count() == 0
    page.fill("#id_act-reason", "left the clinic")
    with page.expect_navigation():
        page.click("#deactivate")
    assert page.locator("#activate").is_visible()
    shot(page, f"accounts-06-user-deactivated-{lang}")
    with page.expect_navigation():
        page.click("text=" + ("監査証跡" if lang == "ja" else "Audit trail"))
    text = page.content()
    assert "user.deactivate" in text and "left the clinic" in text and "user.unlock" in text
    assert not csp, csp


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_each_role_signs_in_and_sees_its_menu(page, live_server, make_user, login, shot, lang):
    """Every role signs in to the dashboard; the users page is in the administrator's menu only."""
    from evqms.accounts import roles

    csp = _csp_watch(page)
    for number, role in enumerate(roles.ROLES, start=1):
        person = make_user(f"{role}-{lang}", role)
        login(page, person)
        if lang == "en" and number == 1:
            _english(page)
        assert page.url.rstrip("/") == live_server.url
        assert page.locator("#my-tokens-link").is_visible()
        users_entry = page.locator("nav.main a[href='/accounts/users/']")
        assert users_entry.count() == (1 if role == roles.ADMINISTRATOR else 0)
        shot(page, f"accounts-07-{number}-{role}-{lang}")
        with page.expect_navigation():
            page.locator("form[action='/accounts/logout/'] button").click()
    assert not csp, csp


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_admin_sets_roles_and_a_locked_session_stops_at_once(
    browser, page, live_server, make_user, login, shot, lang
):
    """The administrator gives QA the auditor's role (with a reason); then five wrong passwords for
    QA from QA's own address lock it, and QA's open page goes to the login page at its next request."""
    from django.test import Client

    csp = _csp_watch(page)
    admin = make_user(f"adm2-{lang}", "administrator")
    qa = make_user(f"qa2-{lang}", "qa_reviewer")
    login(page, admin)
    if lang == "en":
        _english(page)
    page.goto(f"{live_server.url}/accounts/users/{qa.username}/")
    page.check("#roles-form input[value=auditor]")
    page.fill("#id_roles-reason", "moved to internal audit")
    with page.expect_navigation():
        page.click("#roles-form button[type=submit]")
    assert page.locator(".messages li.success").count() == 1
    shot(page, f"accounts-08-roles-saved-{lang}")
    qa.refresh_from_db()
    assert qa.role_names() == ["auditor", "qa_reviewer"]

    other = browser.new_context(viewport={"width": 1280, "height": 860}, locale="ja-JP")
    qa_page = other.new_page()
    login(qa_page, qa)
    if lang == "en":
        _english(qa_page)
    assert qa_page.locator("#my-tokens-link").is_visible()
    guesser = Client(REMOTE_ADDR="127.0.0.1")  # QA's own address, as the browser's
    for _ in range(5):
        guesser.post("/accounts/login/", {"username": qa.username, "password": "wrong"})
    with qa_page.expect_navigation():
        qa_page.click("#my-tokens-link")
    assert "/accounts/login/" in qa_page.url
    assert qa_page.locator(".messages li").count() == 1
    shot(qa_page, f"accounts-09-locked-session-signed-out-{lang}")
    other.close()
    assert not csp, csp
