"""The demo's compliance page in a 1,366 px window (issue 18 item 5): nothing wider than the
window in Japanese or English, evidence named in the page's language, section 3's two parts
numbered 3-1 and 3-2."""

from __future__ import annotations

import pytest

WIDTH, HEIGHT = 1366, 900

# The elements that stick out of the window, widest first (to say which one when the test fails).
WIDE = """() => Array.from(document.querySelectorAll('main *'))
  .map(e => ({tag: e.tagName, id: e.id, cls: e.className, right: e.getBoundingClientRect().right}))
  .filter(e => e.right > window.innerWidth).sort((a, b) => b.right - a.right).slice(0, 5)"""


def _page_fits(page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= WIDTH, (width, page.evaluate(WIDE))


@pytest.mark.django_db(transaction=True)
def test_demo_compliance_page_fits_1366_in_both_languages(browser, live_server, login, shot):
    from django.contrib.auth import get_user_model

    from evqms.web.demo import load_demo

    passwords = {row["username"]: row["password"] for row in load_demo()}
    qa = get_user_model().objects.get(username="qa")
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(30000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        login(page, qa, passwords["qa"])
        page.goto(f"{live_server.url}/compliance/ucmsc-sev-oa/")
        with page.expect_navigation():
            page.click("#assess-now")
        parts = page.locator("section.part > h2").all_inner_texts()
        assert [p.split()[0] for p in parts] == ["1", "2", "3-1", "3-2"], parts
        assert "3-2 対象疾患・製法ごとのCQAと有効性の検証" in parts[3]
        evidence = page.locator("#item-JSRM-3-R2 .evidence").inner_text()
        assert "原材料ロット FBS-23-11" in evidence and "ロット UCEV-24-001" in evidence
        assert "material lot" not in evidence
        _page_fits(page)
        shot(page, "compliance-layout-1366-ja")

        page.goto(f"{live_server.url}/i18n/setlang/")  # GET shows nothing; switch by the form
        page.evaluate(
            """() => { const f = document.createElement('form'); f.method = 'post'; f.action = '/i18n/setlang/';
            for (const [k, v] of [['language', 'en'], ['next', '/compliance/ucmsc-sev-oa/'],
                ['csrfmiddlewaretoken', document.cookie.match(/csrftoken=([^;]+)/)[1]]]) {
              const i = document.createElement('input'); i.name = k; i.value = v; f.appendChild(i); }
            document.body.appendChild(f); f.submit(); }"""
        )
        page.wait_for_url("**/compliance/ucmsc-sev-oa/")
        assert page.locator("h1").inner_text().startswith("Compliance")
        evidence = page.locator("#item-JSRM-3-R2 .evidence").inner_text()
        assert "material lot FBS-23-11" in evidence
        _page_fits(page)
        shot(page, "compliance-layout-1366-en")
        assert not errors, errors
    finally:
        context.close()
