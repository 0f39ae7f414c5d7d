"""Landscape uploads are bounded: NaN, deep nesting, a 100k-digit number or a gzip bomb answer 400
with the reason (not 500) and store nothing; an ingest is written under a temporary folder and
renamed into place, so a killed one leaves only a ".tmp-" folder that `files verify --orphans
--remove` clears; mutated uploads never answer 500."""

from __future__ import annotations

import gzip
import io
import json
import re
from html import unescape
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings

from evqms.audit.models import AuditEvent
from evqms.landscape.models import ClinicSurveyRun, Ingest
from evqms.testing.inputfuzz import mutated

pytestmark = pytest.mark.django_db

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "landscape"
PAGE = (FIX / "ctgov" / "ev_search_page1.json").read_bytes()


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def qa_client(client, make_user):
    client.force_login(make_user("bounded-qa", "qa_reviewer"))
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def _post(client, name: str, data: bytes, kind: str = "trials"):
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post("/landscape/import/", {"kind": kind, "as_of": "2023-10-30", "file": upload})


def _errors(response) -> str:
    found = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    return unescape(re.sub(r"<[^>]+>", " ", " ".join(found)))


def _nothing_stored(media: Path) -> None:
    assert not Ingest.objects.exists() and not ClinicSurveyRun.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="landscape.").exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def _with(path: list, value) -> bytes:
    """The real page with one study field replaced by `value` (raw JSON text)."""
    data = json.loads(PAGE)
    marker = "__EVQMS_MARKER__"
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = marker
    return json.dumps(data).replace(f'"{marker}"', value).encode()


ENROLLMENT = ["studies", 0, "protocolSection", "designModule", "enrollmentInfo", "count"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_with(ENROLLMENT, "NaN"), "NaN is not a number JSON allows"),
        (_with(ENROLLMENT, "1" + "0" * 100_000), "a number with 100001 digits"),
        (_with(ENROLLMENT, "[" * 100 + "]" * 100), "nested more than 64 levels deep"),
        (_with(ENROLLMENT, "1e999"), "1e999 is too large a number"),
    ],
    ids=["nan", "100k-digits", "deep", "overflow"],
)
def test_hostile_trial_upload_answers_400_with_the_reason(qa_client, media, data, reason):
    response = _post(qa_client, "page.json", data)
    assert response.status_code == 400
    errors = _errors(response)
    assert "page.json" in errors and reason in errors
    _nothing_stored(media)


def test_gzip_bomb_crawl_answers_400(qa_client, media, monkeypatch):
    monkeypatch.setenv("EVQMS_DECOMPRESSED_LIMIT_MB", "4")
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=9) as gz:
        for _ in range(32):
            gz.write(b"\0" * (1024 * 1024))
    response = _post(qa_client, "crawl.warc.gz", bomb.getvalue(), kind="clinics")
    assert response.status_code == 400
    assert "crawl.warc.gz: is larger than the limit of 4 MB (EVQMS_DECOMPRESSED_LIMIT_MB)" in _errors(
        response
    )
    _nothing_stored(media)


def test_an_ingest_is_staged_then_renamed_and_a_killed_one_is_cleared(qa_client, media, monkeypatch, capsys):
    """At the last write before commit the kept inputs are only in ".tmp-…": a kill there leaves no
    ingest folder; the staging folder is an orphan that --orphans --remove deletes (audited)."""
    import os
    import time

    from evqms.cli import main
    from evqms.landscape import services

    seen = {}
    real = services.record_event

    def spy(**kwargs):
        folders = list((media / "landscape" / "ingests").iterdir())
        seen["folders"] = [p.name for p in folders]
        return real(**kwargs)

    monkeypatch.setattr(services, "record_event", spy)
    assert _post(qa_client, "page.json", PAGE).status_code == 302
    assert len(seen["folders"]) == 1 and seen["folders"][0].startswith(".tmp-")
    ingest = Ingest.objects.get()
    assert [p.name for p in (media / "landscape" / "ingests").iterdir()] == [ingest.key]

    # what a kill -9 at that moment leaves behind: the staging folder alone
    stale = media / "landscape" / "ingests" / ".tmp-2023-10-30_killed" / "raw"
    stale.mkdir(parents=True)
    (stale / "0001_page.json").write_bytes(PAGE)
    old = time.time() - 2 * 3600
    os.utime(stale / "0001_page.json", (old, old))
    monkeypatch.setenv("EVQMS_LANG", "en")
    assert main(["files", "verify", "--orphans", "--remove"]) == 0
    out = capsys.readouterr().out
    assert "REMOVED landscape/ingests/.tmp-2023-10-30_killed/raw/0001_page.json" in out
    assert not (media / "landscape" / "ingests" / ".tmp-2023-10-30_killed").exists()
    event = AuditEvent.objects.get(action="files.orphans_removed")
    assert "0001_page.json" in event.before and event.actor_id is None


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=mutated(PAGE, "json"))
def test_mutated_trial_upload_never_answers_500(qa_client, data):
    response = _post(qa_client, "page.json", data)
    assert response.status_code in (302, 400)
