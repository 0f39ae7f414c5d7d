"""Bounded uploads in the browser: a trial export carrying NaN is refused on its field with the
reason (not a 500 page), in Japanese; a document above EVQMS_UPLOAD_LIMIT_MB is refused naming
the limit and the setting, in English and in Japanese. Nothing is stored either time."""

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "landscape"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_refused_uploads_say_why(page, live_server, make_user, login, shot, settings, tmp_path, monkeypatch):
    from evqms.dossier.models import Document
    from evqms.landscape.models import Ingest

    settings.MEDIA_ROOT = str(tmp_path / "media")
    monkeypatch.setenv("EVQMS_UPLOAD_LIMIT_MB", "1")
    qa = make_user("qa_bounded_e2e", "qa_reviewer")
    login(page, qa)

    data = json.loads((FIXTURES / "ctgov" / "ev_search_page1.json").read_text("utf-8"))
    data["studies"][0]["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "__NAN__"
    nan_page = tmp_path / "nan_page.json"
    nan_page.write_text(json.dumps(data).replace('"__NAN__"', "NaN"), "utf-8")
    page.goto(f"{live_server.url}/landscape/import/")
    page.check("input[name=kind][value=trials]")
    page.set_input_files("#id_file", str(nan_page))
    page.fill("#id_as_of", "2023-10-30")
    with page.expect_navigation() as nav:
        page.click("#upload-form button[type=submit]")
    assert nav.value.status == 400
    error = page.locator("#upload-form .form-row .errorlist").inner_text()
    assert "nan_page.json" in error and "NaN は JSON で使える数値ではありません" in error
    assert Ingest.objects.count() == 0
    shot(page, "bounded-uploads-01-nan-trials-ja")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    big = tmp_path / "big-sop.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (1024 * 1024))
    page.goto(f"{live_server.url}/dossier/documents/new/")
    page.fill("#id_code", "SOP-BIG-1")
    page.fill("#id_title", "Oversized SOP")
    page.set_input_files("#id_file", str(big))
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    body = page.locator("main").inner_text()
    assert "big-sop.pdf: is larger than the limit of 1 MB (EVQMS_UPLOAD_LIMIT_MB)" in body
    assert not Document.objects.exists()
    assert not (tmp_path / "media").exists() or not any(p.is_file() for p in (tmp_path / "media").rglob("*"))
    shot(page, "bounded-uploads-02-document-limit-en")

    with page.expect_navigation():
        page.select_option("select[name=language]", "ja")
    page.goto(f"{live_server.url}/dossier/documents/new/")
    page.fill("#id_code", "SOP-BIG-1")
    page.fill("#id_title", "Oversized SOP")
    page.set_input_files("#id_file", str(big))
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    body = page.locator("main").inner_text()
    assert "big-sop.pdf: 上限 1 MB を超えています（EVQMS_UPLOAD_LIMIT_MB）" in body
    assert "larger than" not in body
    assert not Document.objects.exists()
    shot(page, "bounded-uploads-03-document-limit-ja")
