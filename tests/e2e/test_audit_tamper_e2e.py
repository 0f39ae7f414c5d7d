"""An auditor verifies a chain whose newest events were deleted, in a real browser (Japanese and English)."""

import pytest
from django.db import connection, transaction

from evqms.audit.services import record_event


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_truncated_chain_is_shown_broken_on_the_trail_page(page, live_server, make_user, login, shot):
    auditor = make_user("auditor-tamper", "auditor")
    for i in range(5):
        with transaction.atomic():
            record_event(actor=None, action="test.change", object_type="thing", object_id=i, after={"v": i})
    last = 1 + 5  # the user's creation, then five events
    with connection.cursor() as cur:  # the owner of the SQLite file or the database, past the triggers
        if connection.vendor == "postgresql":
            cur.execute("DROP TRIGGER audit_auditevent_append_only ON audit_auditevent")
        else:
            cur.execute("DROP TRIGGER audit_auditevent_no_delete")
        cur.execute("DELETE FROM audit_auditevent WHERE seq > 3")
    login(page, auditor)
    page.goto(f"{live_server.url}/audit/?verify=1")
    text = page.locator("#verify-result").inner_text()
    assert "破損" in text and f"#4 から #{last}" in text
    shot(page, "audit-tamper-01-broken-ja")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.goto(f"{live_server.url}/audit/?verify=1")
    text = page.locator("#verify-result").inner_text()
    assert "Broken" in text and f"events #4 to #{last} are missing (deleted or truncated)" in text
    shot(page, "audit-tamper-02-broken-en")
