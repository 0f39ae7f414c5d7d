"""The web import of QC results through the test client: templates, the preview with errors in
place, "Import all" of exactly the previewed file (a changed or expired preview refused), a file
over the upload limit, the roles, and the column-mapping page."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from evqms.audit.models import AuditEvent
from evqms.lots.models import QCColumnMapping, QCResult
from evqms.lots.views import qc_import as views

pytestmark = pytest.mark.django_db


@pytest.fixture
def lot(world):
    return world.in_qc("UCEV-T-001")


def _template_rows(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8-sig")
    return list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))


def test_lot_template_lists_the_specifications_attributes_with_the_lot_filled(client, world, lot):
    client.force_login(world.analyst)
    response = client.get(f"/lots/{lot.number}/qc-import/template/csv/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # Excel reads the Japanese as UTF-8
    rows = _template_rows(response.content)
    header, body = rows[0], rows[1:]
    assert header[:3] == ["ロット番号", "試験項目", "結果"]  # the page language is Japanese by default
    codes = [r[1] for r in body]
    assert codes == list(world.spec.attributes.order_by("order", "code").values_list("code", flat=True))
    assert {r[0] for r in body} == {lot.number}
    modal = next(r for r in body if r[1] == "modal_size")
    assert modal[3] == world.attr("modal_size").unit and modal[5] == world.attr("modal_size").method
    assert "12:00" in response.content.decode("utf-8-sig")  # the date rule is explained


def test_excel_template_in_english_has_a_help_sheet(client, english, world, lot):
    client.force_login(world.analyst)
    response = client.get(f"/lots/qc-import/template/{world.spec.pk}/xlsx/")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    results, help_sheet = book.worksheets
    assert [c.value for c in results[1]][:3] == ["lot", "attribute", "value"]
    assert results.cell(row=2, column=1).value is None  # no lot: the QC section's template
    assert "tested_at" in [row[0] for row in help_sheet.iter_rows(values_only=True)]


def _upload(client, url, name, data, **extra):
    return client.post(url, {"file": SimpleUploadedFile(name, data), **extra})


def test_preview_shows_errors_in_place_then_the_fixed_file_imports(client, world, lot):
    client.force_login(world.analyst)
    url = f"/lots/{lot.number}/qc-import/"
    bad = (
        "lot,attribute,value,unit,tested_at,negative_control,positive_recovery\n"
        "UCEV-T-001,modal_size,121,nm,2024-06-01,,\n"
        "UCEV-T-001,endotoxin,0.1,nm,2024-06-01,not detected,95\n"
    )
    response = _upload(client, url, "run.csv", bad.encode())
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="preview-errors-3"' in body and 'id="import-all"' not in body
    assert 'id="preview-row-2"' in body and "121 nm" in body
    fixed = bad.replace("0.1,nm", "0.1,EU/mL")
    response = _upload(client, url, "run.csv", fixed.encode())
    body = response.content.decode()
    assert 'id="import-all"' in body and "JST" in body  # tested at, local with its zone
    sha = response.context["report"].sha256
    assert QCResult.objects.count() == 0
    response = client.post(url, {"confirm": "1", "sha256": sha})
    assert response.status_code == 302 and response["Location"] == f"/lots/{lot.number}/"
    assert QCResult.objects.filter(lot=lot).count() == 2
    assert AuditEvent.objects.filter(action="qc_result.import").count() == 1
    # the same confirmation again: the preview was used
    assert client.post(url, {"confirm": "1", "sha256": sha}).status_code == 409


def test_a_file_changed_after_its_preview_is_refused(client, english, world, lot):
    client.force_login(world.analyst)
    url = "/lots/qc-import/"
    data = b"lot,attribute,value,unit,tested_at\nUCEV-T-001,modal_size,121,nm,2024-06-01\n"
    report = _upload(client, url, "r.csv", data).context["report"]
    with default_storage.open(report.stored_as, "wb") as fh:  # altered where it is kept
        fh.write(data.replace(b"121", b"112"))
    response = client.post(url, {"confirm": "1", "sha256": report.sha256})
    assert response.status_code == 409 and "not the one previewed" in response.content.decode()
    assert QCResult.objects.count() == 0


def test_an_expired_preview_is_refused(client, english, world, lot, monkeypatch):
    client.force_login(world.analyst)
    url = "/lots/qc-import/"
    data = b"lot,attribute,value,unit,tested_at\nUCEV-T-001,modal_size,121,nm,2024-06-01\n"
    report = _upload(client, url, "r.csv", data).context["report"]
    later = views.timezone.now() + dt.timedelta(minutes=views.PREVIEW_MINUTES + 1)
    monkeypatch.setattr(views.timezone, "now", lambda: later)
    response = client.post(url, {"confirm": "1", "sha256": report.sha256})
    assert response.status_code == 409 and "older than 30 minutes" in response.content.decode()
    assert QCResult.objects.count() == 0


def test_a_file_over_the_upload_limit_is_refused_on_its_field(client, english, world, lot, monkeypatch):
    monkeypatch.setenv("EVQMS_UPLOAD_LIMIT_MB", "1")
    client.force_login(world.analyst)
    big = b"lot,attribute,tested_at\n" + b"#" * (1024 * 1024 + 1)
    response = _upload(client, "/lots/qc-import/", "big.csv", big)
    assert response.status_code == 400 and "larger than the limit of 1 MB" in response.content.decode()
    assert not AuditEvent.objects.filter(object_type="qc_import").exists()


def test_a_released_lot_takes_no_results(client, world, rf_request):
    from evqms.lots import services

    released = world.quarantined_lot("UCEV-T-009")
    services.release_lot(request=rf_request, actor=world.qa, lot=released, password=world.qa.raw_password)
    client.force_login(world.analyst)
    data = b"lot,attribute,value,unit,tested_at\nUCEV-T-009,modal_size,100,nm,2024-06-01\n"
    response = _upload(client, "/lots/UCEV-T-009/qc-import/", "late.csv", data)
    report = response.context["report"]
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "lot")
    ] and 'id="import-all"' not in response.content.decode()


def test_only_qc_analysts_open_the_import_and_the_mappings(client, world, lot):
    for user in (world.operator, world.auditor, world.qa):
        client.force_login(user)
        assert client.get("/lots/qc-import/").status_code == 403
        assert client.get("/lots/qc-import/mappings/").status_code == 403
    client.force_login(world.analyst)
    assert 'id="qc-import-link"' in client.get(f"/lots/{lot.number}/").content.decode()
    assert client.get("/lots/qc-import/").status_code == 200


def test_mapping_page_saves_and_the_upload_form_applies_it(client, english, world, lot):
    client.force_login(world.analyst)
    response = client.post(
        "/lots/qc-import/mappings/",
        {
            "name": "Plate reader",
            "col_lot": "Sample",
            "col_attribute": "Assay",
            "col_tested_at": "Read at",
            "col_value": "Result",
        },
    )
    assert response.status_code == 302
    mapping = QCColumnMapping.objects.get(name="Plate reader")
    assert mapping.columns == {
        "Sample": "lot",
        "Assay": "attribute",
        "Read at": "tested_at",
        "Result": "value",
    }
    response = client.post(
        "/lots/qc-import/mappings/", {"name": "Again", "col_lot": "x", "col_attribute": "X"}
    )
    assert response.status_code == 400 and "already mapped" in response.content.decode()
    data = (
        b"Sample,Assay,Result,unit,Read at,negative_control,positive_recovery\n"
        b"UCEV-T-001,endotoxin,0.05,EU/mL,2024/06/01 09:00,not detected,95\n"
    )
    response = _upload(client, "/lots/qc-import/", "plate.csv", data, mapping=mapping.pk)
    assert response.context["report"].ok and 'id="import-all"' in response.content.decode()
