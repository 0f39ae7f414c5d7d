"""The audit card of the dashboard: the number of events recorded, read from the chain's head, not
by counting a table that only grows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evqms.audit.models import AuditEvent
from evqms.audit.selectors import dashboard_card
from evqms.audit.services import record_event

pytestmark = pytest.mark.django_db


def test_the_card_shows_every_event_recorded_without_counting_them(make_user):
    auditor = make_user("aud-card", "auditor")
    before = AuditEvent.objects.count()
    for k in range(3):
        record_event(actor=None, action="test.event", object_type="test", object_id=k, after={"k": k})
    with CaptureQueriesContext(connection) as queries:
        card = dashboard_card(auditor)
    assert card["value"] == before + 3 == AuditEvent.objects.count()
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
