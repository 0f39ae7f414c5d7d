"""The landscape upload page (/landscape/import/): a ClinicalTrials.gov export or a clinic crawl
loaded from the browser through the same services as `evqms landscape ... --db`; the whole file
or nothing, the original kept with its sha256, an audit event, the counts shown after; 403 for
roles that may not store snapshots."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from html import unescape
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from evqms import errors
from evqms.audit.models import AuditEvent
from evqms.landscape import services, views
from evqms.landscape.models import ClinicResult, ClinicSurveyRun, Ingest, TrialRecord
from evqms.landscape.store import RawInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def upload_dir(fixtures_dir) -> Path:
    return fixtures_dir / "landscape" / "upload"


def _english(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def _post(client, path: Path, kind: str, as_of: str = "", name: str | None = None):
    upload = SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="application/octet-stream")
    return client.post("/landscape/import/", {"kind": kind, "as_of": as_of, "file": upload})


def _errors(response) -> str:
    found = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    return unescape(re.sub(r"<[^>]+>", " ", " ".join(found)))


def _nothing_written(media: Path) -> None:
    assert Ingest.objects.count() == 0 and TrialRecord.objects.count() == 0
    assert ClinicSurveyRun.objects.count() == 0 and ClinicResult.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="landscape.").exists()
    kept = media / "landscape"
    assert not kept.exists() or not any(p.is_file() for p in kept.rglob("*"))


def test_trial_export_becomes_a_snapshot_with_audit_and_kept_original(client, demo_users, media, ctgov):
    qa = demo_users["qa"]
    _english(client, qa)
    page = client.get("/landscape/import/")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()

    response = _post(client, ctgov / "ev_search_page1.json", "trials", "2023-10-30")
    ingest = Ingest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/landscape/import/trials/{ingest.pk}/"
    raw = (ctgov / "ev_search_page1.json").read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    assert ingest.as_of == dt.date(2023, 10, 30) and ingest.created_by == qa and ingest.source == "files"
    assert ingest.record_count == 7
    assert sorted(TrialRecord.objects.filter(ingest=ingest).values_list("nct_id", flat=True)) == [
        f"NCT9000000{n}" for n in range(1, 8)
    ]
    (kept,) = ingest.inputs
    assert kept["name"] == "ev_search_page1.json" and kept["sha256"] == digest and kept["bytes"] == len(raw)
    assert (media / ingest.raw_path / kept["stored"]).read_bytes() == raw
    event = AuditEvent.objects.get(action="landscape.trials_ingest")
    assert event.actor == qa and event.object_id == str(ingest.pk)
    after = json.loads(event.after)
    assert after["records"] == 7 and after["inputs"] == [{"name": "ev_search_page1.json", "sha256": digest}]

    html = client.get(response["Location"]).content.decode()
    assert "7 trials stored as the snapshot of 2023-10-30." in html
    assert 'id="count-added">7<' in html and 'id="count-updated">0<' in html
    assert 'id="count-unchanged">0<' in html and digest in html


def test_added_updated_unchanged_against_earlier_snapshots(client, demo_users, media, ctgov):
    _english(client, demo_users["admin"])

    def counts(response):
        html = client.get(response["Location"]).content.decode()
        return [
            int(re.search(rf'id="count-{k}">(\d+)<', html).group(1))
            for k in ("added", "updated", "unchanged")
        ]

    assert counts(_post(client, ctgov / "ev_search_page2.json", "trials", "2023-10-30")) == [6, 0, 0]
    # NCT90000008 again, in a later version
    assert counts(_post(client, ctgov / "ev_single_updated.json", "trials", "2023-11-01")) == [0, 1, 0]
    # the same page again later: NCT90000008 differs from its latest (updated) record, five are as they were
    assert counts(_post(client, ctgov / "ev_search_page2.json", "trials", "2023-11-02")) == [0, 1, 5]
    assert counts(_post(client, ctgov / "ev_search_page1.json", "trials", "2023-11-02")) == [7, 0, 0]
    assert Ingest.objects.count() == 4
    assert AuditEvent.objects.filter(action="landscape.trials_ingest").count() == 4


def test_web_upload_and_cli_db_store_the_same_records(client, demo_users, media, ctgov, file_home):
    from evqms.cli import main

    _english(client, demo_users["qa"])
    _post(client, ctgov / "ev_search_page1.json", "trials", "2023-10-30")
    assert (
        main(
            [
                "landscape",
                "trials",
                "ingest",
                str(ctgov / "ev_search_page1.json"),
                "--db",
                "--as-of",
                "2023-10-30",
            ]
        )
        == 0
    )
    web, cli = Ingest.objects.order_by("id")
    assert cli.created_by is None and web.created_by == demo_users["qa"]
    assert web.inputs[0]["sha256"] == cli.inputs[0]["sha256"]

    def records(ingest):
        return {r.nct_id: r.data for r in TrialRecord.objects.filter(ingest=ingest)}

    assert records(web) == records(cli) and len(records(web)) == 7


def test_malformed_record_names_file_record_line_and_field(client, demo_users, media, ctgov):
    _english(client, demo_users["qa"])
    response = _post(client, ctgov / "bad_studies_page.json", "trials", "2023-10-30")
    assert response.status_code == 400
    text = _errors(response)
    # the first study has no protocolSection; it starts on line 3 of the file
    assert 'bad_studies_page.json, study 1, line 3: missing module "protocolSection"' in text
    assert "Nothing was stored: correct the file and load it again." in text
    _nothing_written(media)


def test_truncated_json_names_the_line(client, demo_users, media, upload_dir):
    _english(client, demo_users["qa"])
    raw = (upload_dir / "truncated_page.json").read_bytes()
    response = _post(client, upload_dir / "truncated_page.json", "trials", "2023-10-30")
    assert response.status_code == 400
    last_line = len(raw.splitlines())
    assert f"truncated_page.json, line {last_line}: malformed JSON" in _errors(response)
    _nothing_written(media)


def test_syntax_error_names_the_line(client, demo_users, media, ctgov):
    _english(client, demo_users["qa"])
    response = _post(client, ctgov / "malformed.json", "trials", "2023-10-30")
    assert response.status_code == 400
    assert "malformed.json, line 2: malformed JSON" in _errors(response)
    _nothing_written(media)


def test_wrong_encoding_names_the_line_in_both_languages(client, demo_users, media, upload_dir):
    raw = (upload_dir / "latin1_study.json").read_bytes()
    byte = raw.index(b"\xc9")
    _english(client, demo_users["qa"])
    response = _post(client, upload_dir / "latin1_study.json", "trials", "2023-10-30")
    assert response.status_code == 400
    assert f"latin1_study.json, line 10: not UTF-8 text (byte {byte})" in _errors(response)
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    response = _post(client, upload_dir / "latin1_study.json", "trials", "2023-10-30")
    assert f"latin1_study.json, 10行目: UTF-8 テキストではありません（{byte} バイト目）" in _errors(response)
    _nothing_written(media)


def test_oversize_file_refused_with_the_limit(client, demo_users, media, ctgov, monkeypatch, tmp_path):
    """One limit for every upload (EVQMS_UPLOAD_LIMIT_MB, default 50 MB), named in the refusal."""
    assert views.upload_limit() == 50 * 1024 * 1024
    monkeypatch.setenv("EVQMS_UPLOAD_LIMIT_MB", "1")
    # the real page, padded with whitespace (valid JSON) to 1 MiB + 1 byte
    page = (ctgov / "ev_search_page1.json").read_bytes()
    big = tmp_path / "ev_search_page1.json"
    big.write_bytes(page + b" " * (1024 * 1024 + 1 - len(page)))
    _english(client, demo_users["qa"])
    response = _post(client, big, "trials", "2023-10-30")
    assert response.status_code == 400
    errors = _errors(response)
    assert "ev_search_page1.json: is larger than the limit of 1 MB (EVQMS_UPLOAD_LIMIT_MB)" in errors
    _nothing_written(media)
    # exactly at the limit is accepted
    big.write_bytes(page + b" " * (1024 * 1024 - len(page)))
    assert _post(client, big, "trials", "2023-10-30").status_code == 302


def test_clinic_crawl_becomes_a_survey_run(client, demo_users, media, upload_dir):
    qa = demo_users["qa"]
    _english(client, qa)
    path = upload_dir / "clinics_small.warc.gz"
    raw = path.read_bytes()
    response = _post(client, path, "clinics")
    run = ClinicSurveyRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/landscape/import/clinics/{run.pk}/"
    assert run.surveyed_on == dt.date(2023, 11, 6) and run.created_by == qa
    assert run.summary == {"analysed": 12, "unique_urls": 10, "included": 4, "institutions_included": 4}
    assert run.sha256 == hashlib.sha256(raw).hexdigest()
    assert (media / run.raw_path).read_bytes() == raw
    assert ClinicResult.objects.filter(run=run).exclude(reason_ja="").count() == 10
    event = AuditEvent.objects.get(action="landscape.clinic_survey")
    assert event.actor == qa and json.loads(event.after)["sha256"] == run.sha256
    html = client.get(response["Location"]).content.decode()
    assert "10 result pages classified as the clinic survey of 2023-11-06." in html
    found = {k: int(v) for k, v in re.findall(r'id="count-([a-z-]+)">(\d+)<', html)}
    assert found == {"analysed": 12, "included": 4, "excluded": 3, "not-confirmed": 3, "institutions": 4}


def test_truncated_crawl_refused_naming_the_record(client, demo_users, media, upload_dir):
    _english(client, demo_users["qa"])
    response = _post(client, upload_dir / "clinics_truncated.warc.gz", "clinics")
    assert response.status_code == 400
    text = _errors(response)
    assert "clinics_truncated.warc.gz, record 8: truncated record after https://ameblo.jp/" in text
    _nothing_written(media)


def test_manifest_or_json_refused_as_a_crawl(client, demo_users, media, fixtures_dir, ctgov):
    _english(client, demo_users["qa"])
    response = _post(client, fixtures_dir / "landscape" / "clinics" / "manifest.jsonl", "clinics")
    assert response.status_code == 400
    assert "manifest.jsonl: a crawl upload is one WARC file" in _errors(response)
    # a trial export sent as a crawl: not a WARC either
    response = _post(client, ctgov / "ev_search_page1.json", "clinics", name="export.warc")
    assert "export.warc, record 1: unreadable record" in _errors(response)
    _nothing_written(media)


def test_kind_and_file_required(client, demo_users, media):
    _english(client, demo_users["qa"])
    response = client.post("/landscape/import/", {"kind": "pubmed", "as_of": "2023-10-30"})
    assert response.status_code == 400
    assert "Select a valid choice." in _errors(response) and "This field is required." in _errors(response)
    _nothing_written(media)


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_roles_that_may_not_store_snapshots_get_403(client, demo_users, media, ctgov, role):
    user = demo_users[role]
    _english(client, user)
    assert client.get("/landscape/import/").status_code == 403
    assert _post(client, ctgov / "ev_search_page1.json", "trials", "2023-10-30").status_code == 403
    assert client.get("/landscape/import/trials/1/").status_code == 403
    assert client.get("/landscape/import/clinics/1/").status_code == 403
    assert "import-link" not in client.get("/landscape/").content.decode()
    _nothing_written(media)
    # the service refuses too, whatever calls it
    with pytest.raises(errors.PermissionDenied):
        services.ingest_trial_files(
            actor=user,
            as_of=dt.date(2023, 10, 30),
            raw_inputs=[RawInput("p.json", (ctgov / "ev_search_page1.json").read_bytes())],
            strict=True,
        )
    _nothing_written(media)


def test_index_links_to_the_upload_for_qa(client, demo_users):
    _english(client, demo_users["qa"])
    html = client.get("/landscape/").content.decode()
    assert 'id="import-link"' in html and 'href="/landscape/import/"' in html


def test_upload_page_in_japanese(client, demo_users):
    client.force_login(demo_users["admin"])
    client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    html = client.get("/landscape/import/").content.decode()
    assert "動向データにファイルを取り込む" in html and "ファイルの種類" in html
    assert "ClinicalTrials.gov API v2 の JSON" in html and "50.0" in html
