"""In a real browser, in Japanese and English: a QC analyst, QA and a physician each see their tasks on
the dashboard, click one and land on the page where it is done, set their e-mail notifications, and
use the header's search box (straight to a lot; "nothing found" for an unknown code)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = {
    "ja": {
        "tasks": "自分のタスク",
        "saved": "通知設定を保存しました。",
        "none": "に一致する記録はありません",
    },
    "en": {"tasks": "My tasks", "saved": "Notification settings saved.", "none": "Nothing found for"},
}


def _world():
    from evqms.clinical.services.safety import schedule_periodic_report
    from evqms.dossier.models import Product
    from evqms.lots import services as lots
    from evqms.lots.models import Lot
    from evqms.web.demo import load_demo

    logins = {row["username"]: row["password"] for row in load_demo()}
    users = {u.username: u for u in get_user_model().objects.filter(username__in=logins)}
    lots.open_deviation(
        actor=users["operator"], lot=Lot.objects.get(number="UCEV-24-002"), description="pH drift at harvest"
    )
    schedule_periodic_report(
        actor=users["physician"],
        product=Product.objects.get(code="ucmsc-sev-oa"),
        period_start=timezone.localdate() - dt.timedelta(days=180),
        period_end=timezone.localdate() - dt.timedelta(days=1),
        due_on=timezone.localdate() + dt.timedelta(days=1),
    )
    return users, logins


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_tasks_notifications_and_search_as_analyst_qa_and_physician(browser, live_server, login, shot, lang):
    users, logins = _world()
    t = TEXT[lang]
    for username in ("analyst2", "qa", "physician"):
        context = browser.new_context(
            viewport={"width": 1280, "height": 860}, locale="ja-JP" if lang == "ja" else "en-US"
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        login(page, SimpleNamespace(username=username), logins[username])
        page.goto(f"{live_server.url}/")
        section = page.locator("#my-tasks")
        assert t["tasks"] in section.locator("h2").inner_text()
        rows = section.locator("#task-table tbody tr.task")
        assert rows.count() >= 1, username
        shot(page, f"worklist-{lang}-{username}-dashboard")
        # the first task opens its page
        link = rows.first.locator("a").first
        href = link.get_attribute("href")
        # (the demo's quality records may fall due first: any area's page is fine here)
        assert href.startswith("/"), (username, href)
        with page.expect_navigation():
            link.click()
        assert page.url.startswith(f"{live_server.url}{href.split('#')[0]}")
        assert page.locator("h1").count() >= 1
        shot(page, f"worklist-{lang}-{username}-task-page")
        # the full list, filtered by kind
        page.goto(f"{live_server.url}/tasks/")
        assert page.locator("#task-table tbody tr.task").count() >= 1
        # notifications: turn the digest off, keep the immediate message, in English
        page.locator("#notifications-link").click()
        page.wait_for_selector("#notification-form")
        page.uncheck("#id_digest")
        page.select_option("#id_language", "en")
        with page.expect_navigation():
            page.click("#save-notifications")
        assert t["saved"] in page.locator(".messages").inner_text()
        assert not page.is_checked("#id_digest") and page.is_checked("#id_immediate")
        shot(page, f"worklist-{lang}-{username}-notifications")
        # the search box: a lot number typed in lower case and full width goes straight to the lot
        page.fill("#search-q", "ｕｃｅｖ－２４－００１")
        with page.expect_navigation():
            page.press("#search-q", "Enter")
        assert page.url == f"{live_server.url}/lots/UCEV-24-001/"
        page.fill("#search-q", "NO-SUCH-CODE/42")
        with page.expect_navigation():
            page.press("#search-q", "Enter")
        assert t["none"] in page.locator("#search-none").inner_text()
        shot(page, f"worklist-{lang}-{username}-search-none")
        context.close()
    from evqms.accounts.models import NotificationPreference

    assert NotificationPreference.objects.filter(digest=False, immediate=True, language="en").count() == 3
