"""QC import: all rows or none, every error by row and column, the original file kept."""

import hashlib
import io
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings

from evqms.audit.models import AuditEvent
from evqms.errors import PermissionDenied
from evqms.lots.models import QCResult
from evqms.lots.qc_import import import_qc_results
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db

GOOD = """lot,attribute,value,unit,text_value,method,tested_at,analyst,positive_control,negative_control,positive_recovery
UCEV-T-001,particle_concentration,2.5E+06,particles/uL,,NTA,2024-06-01T10:30,qc2,,,
UCEV-T-001,modal_size,121,nm,,NTA,2024-06-01T10:30,,,,
UCEV-T-001,cd63,,,positive,Western blot,2024-06-01,,,,
UCEV-T-001,endotoxin,0.12,EU/mL,,LAL,2024-06-02 09:00,,,not detected,95
UCEV-T-001,sterility,,,no growth,JP 4.06,2024-06-14,,detected,not detected,
"""


@pytest.fixture
def lot(world):
    return world.manufacture(world.new_lot("UCEV-T-001"))


def test_good_csv_imports_every_row_and_keeps_the_file(world, lot):
    data = GOOD.encode()
    report = import_qc_results(actor=world.analyst, filename="/tmp/lab/run-0601.csv", data=data)
    assert report.ok and report.rows == 5 and len(report.created) == 5
    sha = hashlib.sha256(data).hexdigest()
    assert report.sha256 == sha and report.stored_as.startswith("imports/")
    assert (Path(settings.MEDIA_ROOT) / report.stored_as).read_bytes() == data
    pc = QCResult.objects.get(lot=lot, attribute__code="particle_concentration")
    assert pc.value_in_spec_unit == D("2.5e9") and pc.analyst == world.analyst2 and pc.raw_file_sha256 == sha
    assert QCResult.objects.get(lot=lot, attribute__code="endotoxin").analyst == world.analyst
    assert AuditEvent.objects.filter(action="qc_result.import").count() == 1
    assert AuditEvent.objects.filter(action="qc_result.record").count() == 5


BAD = """lot,attribute,value,unit,text_value,method,tested_at,positive_control,negative_control,positive_recovery
UCEV-T-001,particle_concentration,-2.5E+09,particles/mL,,NTA,2024-06-01,,,
UCEV-NOPE,modal_size,121,nm,,NTA,2024-06-01,,,
UCEV-T-001,potency,12,%,,ELISA,2024-06-01,,,
UCEV-T-001,endotoxin,0.12,nm,,LAL,2024-06-01,,not detected,95
UCEV-T-001,modal_size,121,nm,,NTA,2024-06-01,,,
UCEV-T-001,modal_size,122,nm,,NTA,yesterday,,,
UCEV-T-001,cd63,,,positive,WB,2024-06-01,,,
"""


def test_bad_csv_imports_nothing_and_lists_every_error(world, lot):
    report = import_qc_results(actor=world.analyst, filename="bad.csv", data=BAD.encode())
    assert not report.ok and report.created == []
    got = {(e.row, e.column) for e in report.errors}
    assert got == {
        (2, "value"),
        (3, "lot"),
        (4, "attribute"),
        (5, "unit"),
        (7, "attribute"),
        (7, "tested_at"),
    }
    assert "negative" in next(e.message for e in report.errors if e.row == 2)
    assert "duplicate of row 6" in next(
        e.message for e in report.errors if e.row == 7 and e.column == "attribute"
    )
    assert QCResult.objects.count() == 0  # row 8 was fine, but nothing is written
    assert (Path(settings.MEDIA_ROOT) / report.stored_as).read_bytes() == BAD.encode()
    assert AuditEvent.objects.filter(action="qc_result.import_refused").count() == 1
    assert "row 3" in report.text() and 'column "lot"' in report.text()


def test_results_for_a_released_lot_are_refused(world, rf_request):
    from evqms.lots import services

    released = world.quarantined_lot("UCEV-T-009")
    services.release_lot(request=rf_request, actor=world.qa, lot=released, password=world.qa.raw_password)
    csv = "lot,attribute,value,unit,tested_at\nUCEV-T-009,modal_size,100,nm,2024-06-01\n"
    report = import_qc_results(actor=world.analyst, filename="late.csv", data=csv.encode())
    assert [(e.row, e.column) for e in report.errors] == [(2, "lot")]
    assert "Released" in report.errors[0].message


def test_rows_are_judged_by_the_qc_result_rules(world, lot):
    """The import has no rule of its own: an existing valid result and an analyst without the QC
    role are refused by record_qc_result, each error on its row and column."""
    import datetime as dt

    from evqms.lots import services

    services.record_qc_result(
        actor=world.analyst,
        lot=lot,
        attribute=world.attr("endotoxin"),
        value="0.1",
        unit="EU/mL",
        tested_at=dt.datetime(2024, 6, 1, 9, 0),
        controls=passing_controls(world.attr("endotoxin")),
    )
    csv = (
        "lot,attribute,value,unit,tested_at,analyst,text_value,negative_control,positive_recovery\n"
        "UCEV-T-001,endotoxin,0.12,EU/mL,2024-06-02,,,not detected,95\n"
        "UCEV-T-001,modal_size,121,nm,2024-06-02,op1,,,\n"
        "UCEV-T-001,cd63,,,2024-06-02,,positive,,\n"
    )
    report = import_qc_results(actor=world.analyst, filename="again.csv", data=csv.encode())
    assert [(e.row, e.column) for e in report.errors] == [(2, "attribute"), (3, "analyst")]
    assert "already has a valid result" in report.errors[0].message
    assert "op1 is not a QC analyst" in report.errors[1].message
    assert QCResult.objects.filter(lot=lot).count() == 1  # the row that was fine is rolled back too


def test_excel_import(world, lot):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [line.split(",") for line in GOOD.strip().splitlines()]:
        ws.append([float(c) if c.replace(".", "").isdigit() else c for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    report = import_qc_results(actor=world.analyst, filename="run.xlsx", data=buf.getvalue())
    assert report.ok, report.text()
    assert QCResult.objects.get(lot=lot, attribute__code="endotoxin").value == D("0.12")  # not 0.11999...


def test_unreadable_and_headerless_files(world, lot):
    report = import_qc_results(actor=world.analyst, filename="x.xlsx", data=b"not a zip")
    assert not report.ok and report.errors[0].row is None
    report = import_qc_results(actor=world.analyst, filename="x.csv", data=b"a,b\n1,2\n")
    assert "missing columns" in report.errors[0].message
    report = import_qc_results(actor=world.analyst, filename="x.pdf", data=b"%PDF")
    assert not report.ok


def test_shift_jis_csv(world, lot):
    text = GOOD.replace("positive", "positive").replace("NTA", "NTA（ナノ粒子）")
    report = import_qc_results(actor=world.analyst, filename="sjis.csv", data=text.encode("cp932"))
    assert report.ok, report.text()
    assert QCResult.objects.get(lot=lot, attribute__code="modal_size").method == "NTA（ナノ粒子）"


def test_only_analysts_import(world, lot):
    with pytest.raises(PermissionDenied):
        import_qc_results(actor=world.operator, filename="x.csv", data=GOOD.encode())


def test_cli_import(world, lot, tmp_path, capsys, monkeypatch):
    import io

    from evqms.cli import main

    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    monkeypatch.setattr("sys.stdin", io.StringIO(world.analyst.raw_password + "\n"))
    assert main(["lots", "import-qc", str(path), "--as", "qc1", "--password-stdin"]) == 1
    assert "row 3" in capsys.readouterr().out
    path.write_text(GOOD)
    monkeypatch.setattr("sys.stdin", io.StringIO(world.analyst.raw_password + "\n"))
    assert main(["lots", "import-qc", str(path), "--as", "qc1", "--password-stdin", "--format", "json"]) == 0
    assert QCResult.objects.filter(lot=lot).count() == 5
