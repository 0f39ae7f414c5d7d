"""The registry export reached three ways, each audited: the evidence page's form (the zip, or the
page again with the refusal on the field it names, in Japanese and English), the API (a zip, 400
naming the field, 403, 404, and its place in the schema), and `evqms report registry` (the person
authenticated, exit 2 with one line on a bad period). The rows themselves are checked in
test_reports_registry."""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from evqms.audit.models import AuditEvent
from evqms.cli import main

pytestmark = pytest.mark.django_db

_spec = importlib.util.spec_from_file_location(
    "registry_world", Path(__file__).with_name("test_reports_registry.py")
)
world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(world)


@pytest.fixture
def hand():
    return world.hand_registry()


def _exports() -> int:
    return AuditEvent.objects.filter(action="registry.export").count()


def _get(client, user, url, lang="en"):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client.get(url)


def test_the_evidence_page_offers_the_export_in_both_languages(client, hand):
    doc = hand["physician"]
    en = _get(client, doc, "/reports/evidence/reg-hand/", "en").content.decode()
    assert 'id="registry-form"' in en and 'action="/reports/evidence/reg-hand/registry.zip"' in en
    assert "Download registry export (zip)" in en and 'name="from"' in en and 'name="to"' in en
    ja = _get(client, doc, "/reports/evidence/reg-hand/", "ja").content.decode()
    assert "レジストリ出力をダウンロード（zip）" in ja and "投与日（開始）" in ja


def test_the_page_downloads_the_zip_and_records_who(client, hand):
    before = _exports()
    response = _get(
        client, hand["physician"], "/reports/evidence/reg-hand/registry.zip?from=2026-07-01&to=&lang=ja"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'filename="registry-reg-hand-2026-07-01_now-' in response["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "odm.xml" in names and "DM.csv" in names
    assert _exports() == before + 1
    event = AuditEvent.objects.filter(action="registry.export").latest("id")
    assert event.actor_id == hand["physician"].pk


@pytest.mark.parametrize(
    ("lang", "query", "field", "text"),
    [
        ("en", "from=2026-02-30", "from", "the start of the period (from) must be a date written YYYY-MM-DD"),
        (
            "ja",
            "from=2026-02-30",
            "from",
            "期間の開始日（from）は 2026-01-31 のように YYYY-MM-DD 形式の日付で",
        ),
        ("en", "from=2026-12-01&to=2026-01-01", "from", "lies after the end of the period (to) (2026-01-01)"),
        ("ja", "to=abc", "to", "期間の終了日（to）は"),
    ],
)
def test_a_bad_period_shows_the_page_again_with_the_refusal_on_its_field(
    client, hand, lang, query, field, text
):
    before = _exports()
    response = _get(client, hand["physician"], f"/reports/evidence/reg-hand/registry.zip?{query}", lang)
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f'id="registry-error-{field}"' in html and text in html.replace("&quot;", '"')
    assert _exports() == before


def test_who_may_export_from_the_page(client, hand, make_user):
    operator = make_user("reg-page-op", "operator")
    assert _get(client, operator, "/reports/evidence/reg-hand/registry.zip").status_code == 403
    qa = make_user("reg-page-qa", "qa_reviewer")
    assert _get(client, qa, "/reports/evidence/reg-hand/registry.zip").status_code == 200
    assert _get(client, qa, "/reports/evidence/no-such/registry.zip").status_code == 404


def test_the_api_answers_a_zip_400_403_and_404(client, hand, make_user):
    doc = hand["physician"]
    client.force_login(doc)
    ok = client.get("/api/v1/reports/registry/reg-hand/?from=2026-06-01&to=2026-06-30&lang=en")
    assert ok.status_code == 200 and ok["Content-Type"] == "application/zip"
    files = zipfile.ZipFile(io.BytesIO(ok.content))
    assert files.read("EX.csv").decode().count("\n") == 2  # header and ADM 1
    bad = client.get("/api/v1/reports/registry/reg-hand/?to=2026-99-01")
    assert bad.status_code == 400 and bad.json()["where"] == "to"
    assert "(to)" in bad.json()["error"] or "（to）" in bad.json()["error"]  # in the request's language
    assert client.get("/api/v1/reports/registry/nothing-here/").status_code == 404
    client.force_login(make_user("reg-api-op", "operator"))
    assert client.get("/api/v1/reports/registry/reg-hand/").status_code == 403
    schema = client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/reports/registry/{code}/" in schema


def test_the_command_writes_the_zip_as_the_authenticated_person(hand, tmp_path, monkeypatch, capsys):
    doc = hand["physician"]
    out = tmp_path / "registry.zip"
    monkeypatch.setattr("sys.stdin", io.StringIO(doc.raw_password + "\n"))
    code = main(
        ["report", "registry", "reg-hand", "--from", "2026-08-01", "--out", str(out), "--as", doc.username,
         "--password-stdin", "--lang", "en"]
    )  # fmt: skip
    assert code == 0
    assert "wrote" in capsys.readouterr().out
    rows = zipfile.ZipFile(out).read("DM.csv").decode().splitlines()
    assert rows[1].startswith("reg-hand,DM,reg-P02,2026-08-20,41,")
    event = AuditEvent.objects.filter(action="registry.export").latest("id")
    assert event.actor_id == doc.pk


@pytest.mark.parametrize(
    ("lang", "text"), [("en", "the end of the period (to)"), ("ja", "期間の終了日（to）")]
)
def test_the_command_refuses_a_bad_period_in_one_line(hand, tmp_path, monkeypatch, capsys, lang, text):
    doc = hand["physician"]
    out = tmp_path / "registry.zip"
    monkeypatch.setattr("sys.stdin", io.StringIO(doc.raw_password + "\n"))
    code = main(
        ["report", "registry", "reg-hand", "--to", "2026/12/31", "--out", str(out), "--as", doc.username,
         "--password-stdin", "--lang", lang]
    )  # fmt: skip
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(err) == 1 and text in err[0]
    assert not out.exists()
