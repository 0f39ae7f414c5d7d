"""The dashboard asks each question once: a card's counts are one statement (core.db.counts), and
what the cards and the work queue both read is read once per page (core.readonce)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_the_qa_dashboard_reads_in_few_queries_and_the_training_once(world, client):
    client.force_login(world.qa)
    client.get("/")  # the session and the permissions are read as on any page
    with CaptureQueriesContext(connection) as captured:
        answer = client.get("/")
    sql = [q["sql"] for q in captured.captured_queries]
    assert answer.status_code == 200 and 'id="my-tasks"' in answer.content.decode()
    # the training card and the training tasks both need the documents people are trained on
    assert sum('"dossier_processstep"."sop"' in s for s in sql) == 1, sql
    # 59 when every card counted one query at a time and the training was read twice
    assert len(sql) <= 42, "\n".join(sql)
