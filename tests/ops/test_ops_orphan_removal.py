"""`evqms files verify --orphans --remove`: orphan files older than the grace period are deleted
with one audit event listing each (path, size, SHA-256), and the folders they leave empty go too;
a younger orphan (an upload that may still be committing) stays and is still a finding."""

from __future__ import annotations

import hashlib
import json
import os
import time

import pytest

from evqms.audit.models import AuditEvent
from evqms.cli import main

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def _orphan(media, relative: str, data: bytes, age_minutes: float):
    path = media / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - age_minutes * 60
    os.utime(path, (then, then))
    return path


def test_old_orphans_removed_audited_young_ones_kept(media, capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")
    old = _orphan(media, "nta/2026/ExperimentSummary_x.csv", b"left by a refused upload", 120)
    young = _orphan(media, "raw/2026/just-now.csv", b"a,b\n", 1)
    assert main(["files", "verify", "--orphans", "--remove", "--format", "json"]) == 1  # the young one
    data = json.loads(capsys.readouterr().out)
    assert [o["path"] for o in data["removal"]["removed"]] == ["nta/2026/ExperimentSummary_x.csv"]
    assert data["orphans"] == [{"path": "raw/2026/just-now.csv", "bytes": 4}]
    assert not old.exists() and not (media / "nta").exists()  # emptied folders go too
    assert young.exists()
    event = AuditEvent.objects.get(action="files.orphans_removed")
    assert data["removal"]["audit_event"] == event.seq
    listed = json.loads(event.before)["files"]
    assert listed == [
        {
            "path": "nta/2026/ExperimentSummary_x.csv",
            "bytes": 24,
            "sha256": hashlib.sha256(b"left by a refused upload").hexdigest(),
        }
    ]
    assert "files verify --orphans --remove" in event.reason

    assert main(["files", "verify", "--orphans", "--remove", "--grace-minutes", "0"]) == 0
    out = capsys.readouterr().out
    assert "REMOVED raw/2026/just-now.csv (4 bytes)" in out and not young.exists()
    assert AuditEvent.objects.filter(action="files.orphans_removed").count() == 2


def test_remove_needs_orphans(media, capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")
    assert main(["files", "verify", "--remove"]) == 2
    assert capsys.readouterr().err.strip() == "evqms: error: --remove: --remove needs --orphans"
