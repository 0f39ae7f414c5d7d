"""The trail's search through the API (/api/v1/audit/events/) and `evqms audit search`: the same
filters as the page, 400 / exit 2 naming a bad parameter."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from evqms.audit.services import record_event
from evqms.cli import main

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(world):
    lot = world.new_lot("UCEV-API-1")
    other = world.new_lot("UCEV-API-2")
    with transaction.atomic():
        record_event(
            actor=world.qa,
            action="lot.note",
            object_type="lot",
            object_id=lot.pk,
            before={"status": "in_process"},
            after={"status": "in_process", "note": "長い説明"},
            reason="=cmd|' /c calc'!A1",
        )
    return lot, other


def _api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user=user)
    return client


def test_the_api_searches_by_key_and_names_the_record(trail, world):
    lot, other = trail
    body = _api(world.auditor).get("/api/v1/audit/events/", {"kind": "lot", "key": "ucev-api-1"}).json()
    assert body["count"] == 2  # lot.create and lot.note
    assert {r["record"] for r in body["results"]} == {"UCEV-API-1"}
    note = body["results"][0]
    assert note["action"] == "lot.note" and note["after"]["note"] == "長い説明"
    assert note["occurred_at"].endswith("+09:00")
    detail = _api(world.auditor).get(f"/api/v1/audit/events/{note['seq']}/").json()
    assert {"field": "note", "state": "added", "before": None, "after": "長い説明"} in detail["fields"]
    assert detail["hash_recomputes"] is True


def test_the_api_refuses_a_bad_filter_and_those_who_may_not_read(trail, world):
    bad = _api(world.auditor).get("/api/v1/audit/events/", {"until": "31/12/2026"})
    assert bad.status_code == 400 and bad.json()["where"] == "until"
    assert (
        _api(world.auditor).get("/api/v1/audit/events/", {"page": "99999999999999999999999"}).status_code
        == 400
    )
    assert _api(world.auditor).get("/api/v1/audit/events/424242/").status_code == 404
    assert _api(world.operator).get("/api/v1/audit/events/").status_code == 403
    assert APIClient().get("/api/v1/audit/events/").status_code in (401, 403)


def test_the_api_is_in_the_schema(world):
    schema = _api(world.auditor).get("/api/v1/schema/", {"format": "json"}).json()
    assert "/api/v1/audit/events/" in schema["paths"]


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")


def test_the_command_searches_in_text_json_and_csv(trail, capsys, english):
    assert main(["audit", "search", "--kind", "lot", "--key", "UCEV-API-1", "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["count"] == 2 and {r["record"] for r in body["results"]} == {"UCEV-API-1"}
    assert main(["audit", "search", "--key", "UCEV-API-1", "--action", "lot.note"]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert "lot.note" in line and "UCEV-API-1" in line and "JST" in line
    assert main(["audit", "search", "--key", "UCEV-API-1", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 3 and rows[1][7] == "'=cmd|' /c calc'!A1"


def test_the_command_refuses_a_bad_filter_naming_it(trail, capsys, english):
    assert main(["audit", "search", "--since", "tomorrow"]) == 2
    err = capsys.readouterr().err
    assert "since" in err and len(err.strip().splitlines()) == 1
