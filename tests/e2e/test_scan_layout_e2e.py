"""At the bench, in a real browser: the scan page takes a typed code (what a hardware scanner
types) to its record and says so when nothing has that code, without a camera (headless Chromium
has no BarcodeDetector: the page stays a box to type into); every page starts with a skip link;
the bench pages (lot, step record, QC entry, aliquot, administration entry) fit a tablet (1024 px)
and a phone (390 px) without sideways scrolling, in Japanese and English."""

from __future__ import annotations

import pytest

# The elements that stick out of the window, widest first (to say which one when the test fails).
WIDE = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => !e.closest('.table-scroll'))
  .map(e => ({tag: e.tagName, id: e.id, cls: String(e.className), right: e.getBoundingClientRect().right}))
  .filter(e => e.right > window.innerWidth).sort((a, b) => b.right - a.right).slice(0, 5)"""


def _fits(page) -> None:
    width, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window, (page.url, width, window, page.evaluate(WIDE))


@pytest.mark.django_db(transaction=True)
def test_scan_page_and_bench_pages_at_tablet_and_phone_width(browser, live_server, login, shot):
    from django.contrib.auth import get_user_model

    from evqms.lots.models import Lot
    from evqms.web.demo import load_demo

    passwords = {row["username"]: row["password"] for row in load_demo()}
    users = {u.username: u for u in get_user_model().objects.filter(username__in=passwords)}
    in_process = Lot.objects.get(number="UCEV-24-005")
    sterile = in_process.process.steps.get(name="Sterile filtration")
    # A step is recorded, and QC results entered, in forms on the lot page (their URLs take POST).
    bench = [  # (who, page, what must be on it, name)
        ("qa", "/lots/UCEV-24-002/", "#lot-summary", "lot"),
        ("operator", f"/lots/UCEV-24-005/#step-{sterile.pk}", f"#step-{sterile.pk} form.step-form", "step"),
        ("analyst", "/lots/UCEV-24-002/#qc", "#qc form.qc-form", "qc-entry"),
        ("analyst", "/inventory/aliquots/UCEV-24-001-A001/", "#label svg", "aliquot"),
        ("physician", "/clinical/administrations/new/", "#administration-form", "administration-entry"),
    ]
    for language, locale in (("ja", "ja-JP"), ("en", "en-US")):
        for width, height in ((1024, 768), (390, 844)):
            context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
            page = context.new_page()
            page.set_default_timeout(30000)
            errors: list[str] = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            try:
                signed_in = None
                for who, path, needed, name in bench:
                    if who != signed_in:
                        if signed_in:
                            context.clear_cookies()
                        login(page, users[who], passwords[who])
                        signed_in = who
                    page.goto(f"{live_server.url}{path}")
                    assert page.locator(needed).count() >= 1, (path, needed)
                    _fits(page)
                    shot(page, f"bench-{name}-{width}-{language}")
                # The skip link is the first thing the keyboard reaches, and leads to the content.
                page.keyboard.press("Tab")
                focused = page.evaluate(
                    "[document.activeElement.className, document.activeElement.textContent]"
                )
                assert focused == ["skip-link", "本文へ移動" if language == "ja" else "Skip to main content"]
                # The scan page, as the physician (signed in last): a typed code opens its record.
                page.goto(f"{live_server.url}/scan/")
                _fits(page)
                assert page.locator("#scan-camera").is_hidden()  # no BarcodeDetector here
                assert page.locator("#scan-no-camera").is_visible()
                shot(page, f"scan-{width}-{language}")
                page.fill("#scan-code", "ｕｃｅｖ－２４－００１－ａ００１")  # full-width, as some IMEs type
                with page.expect_navigation():
                    page.keyboard.press("Enter")  # as a hardware scanner ends a code
                assert page.url.endswith("/inventory/aliquots/UCEV-24-001-A001/")
                page.goto(f"{live_server.url}/scan/")
                page.fill("#scan-code", "NO-SUCH-CODE")
                with page.expect_navigation():
                    page.keyboard.press("Enter")
                problem = page.locator("#scan-problem").inner_text()
                assert "NO-SUCH-CODE" in problem
                assert ("見つかりません" if language == "ja" else "Nothing found") in problem
                assert page.locator("#scan-code").input_value() == "NO-SUCH-CODE"
                shot(page, f"scan-unknown-{width}-{language}")
                assert not errors, errors
            finally:
                context.close()
