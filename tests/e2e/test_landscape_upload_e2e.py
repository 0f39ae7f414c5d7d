"""A QA reviewer loads files into the landscape from the browser: a damaged trial export is
refused with the file, record and line named (nothing stored), then a good export and a clinic
crawl are stored and their counts shown; an operator gets 403. In Japanese, then English."""

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "landscape"


@pytest.mark.django_db(transaction=True)
def test_upload_trial_export_and_clinic_crawl(page, live_server, make_user, login, shot, settings, tmp_path):
    from evqms.audit.models import AuditEvent
    from evqms.landscape.models import ClinicSurveyRun, Ingest

    settings.MEDIA_ROOT = str(tmp_path / "media")
    qa = make_user("qa_upload_e2e", "qa_reviewer")
    login(page, qa)
    page.goto(f"{live_server.url}/landscape/")
    with page.expect_navigation():
        page.click("#import-link a")
    assert page.locator("h1").inner_text() == "動向データにファイルを取り込む"
    shot(page, "landscape-upload-01-form-ja")

    # a record without protocolSection: refused, named, nothing stored
    page.check("input[name=kind][value=trials]")
    page.set_input_files("#id_file", str(FIXTURES / "ctgov" / "bad_studies_page.json"))
    page.fill("#id_as_of", "2023-10-30")
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    error = page.locator("#upload-form .form-row .errorlist").inner_text()
    assert "bad_studies_page.json、試験 1, 3行目" in error and "protocolSection" in error
    assert "何も保存していません" in page.locator("#upload-form > .errorlist").inner_text()
    assert Ingest.objects.count() == 0
    shot(page, "landscape-upload-02-refused-ja")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.check("input[name=kind][value=trials]")
    page.set_input_files("#id_file", str(FIXTURES / "ctgov" / "ev_search_page1.json"))
    page.fill("#id_as_of", "2023-10-30")
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    assert page.locator("h1").inner_text() == "File loaded"
    assert page.locator("#upload-summary").inner_text() == "7 trials stored as the snapshot of 2023-10-30."
    assert page.locator("#count-added").inner_text() == "7"
    shot(page, "landscape-upload-03-trials-en")
    with page.expect_navigation():
        page.click("text=Show the landscape as of this date")
    assert page.locator("#trials-total").inner_text() == "7"
    assert page.locator("#import-link").is_visible()
    shot(page, "landscape-upload-05-index-link-en")

    page.goto(f"{live_server.url}/landscape/import/")
    page.check("input[name=kind][value=clinics]")
    page.set_input_files("#id_file", str(FIXTURES / "upload" / "clinics_small.warc.gz"))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    # the 療法-only page is not confirmed (seed section 6): 4 included, 3 not confirmed
    assert page.locator("#count-included").inner_text() == "4"
    assert page.locator("#count-not-confirmed").inner_text() == "3"
    shot(page, "landscape-upload-04-clinics-en")
    run = ClinicSurveyRun.objects.get()
    assert run.created_by == qa and run.summary["analysed"] == 12
    assert set(
        AuditEvent.objects.filter(actor=qa, action__startswith="landscape.").values_list("action", flat=True)
    ) == {"landscape.trials_ingest", "landscape.clinic_survey"}


@pytest.mark.django_db(transaction=True)
def test_operator_may_not_upload(page, live_server, make_user, login):
    operator = make_user("op_upload_e2e", "operator")
    login(page, operator)
    page.goto(f"{live_server.url}/landscape/")
    assert page.locator("#import-link").count() == 0
    response = page.goto(f"{live_server.url}/landscape/import/")
    assert response.status == 403
