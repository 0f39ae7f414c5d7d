"""The QC import's reading layer: Japanese headers and dates, saved column mappings, comment lines,
unfilled template rows, encodings and bad files; and its dry run, which writes no result."""

from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from evqms.audit.models import AuditEvent
from evqms.errors import InputError
from evqms.lots.models import QCResult
from evqms.lots.qc_import import import_qc_results, preview_qc_import, read_rows
from evqms.lots.services.qc_mappings import change_column_mapping, create_column_mapping

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")

# The endotoxin row gives its run controls (required of endotoxin results) under their Japanese
# headers and in Japanese words: 陰性 (negative) is "not detected".
JAPANESE = """ロット番号,試験項目,結果,単位,定性結果,試験方法,試験日時,試験者,機器,陽性対照,陰性対照,添加回収率
UCEV-T-001,modal_size,121,nm,,NTA,2024/06/01 10:30,,,,,
UCEV-T-001,endotoxin,0.12,EU/mL,,LAL,2024/6/2,,,,陰性,95%
UCEV-T-001,cd63,,,positive,ウエスタンブロット,2024-06-03 09:15,,,,,
"""


@pytest.fixture
def lot(world):
    return world.in_qc("UCEV-T-001")


def test_japanese_headers_and_dates_in_shift_jis(world, lot):
    """Excel in Japan saves CSV as CP932 without saying so: read as such, headers in Japanese."""
    report = import_qc_results(actor=world.analyst, filename="日本語.csv", data=JAPANESE.encode("cp932"))
    assert report.ok, report.text()
    results = {r.attribute.code: r for r in QCResult.objects.filter(lot=lot)}
    # 2024/06/01 10:30 in Tokyo (UTC+9, no daylight saving) is 01:30 UTC.
    assert results["modal_size"].tested_at == dt.datetime(2024, 6, 1, 1, 30, tzinfo=dt.UTC)
    # A date without a time is noon local: 2024-06-02 12:00 JST = 03:00 UTC.
    assert results["endotoxin"].tested_at == dt.datetime(2024, 6, 2, 3, 0, tzinfo=dt.UTC)
    assert results["cd63"].method == "ウエスタンブロット" and results["cd63"].text_value == "positive"
    controls = results["endotoxin"].run_controls
    assert controls.negative_detected is False and controls.positive_recovery_pct == 95 and controls.valid


def test_a_date_that_does_not_exist_is_a_row_error_not_a_crash(world, lot):
    csv = "lot,attribute,value,unit,tested_at\nUCEV-T-001,modal_size,121,nm,2024/02/30\nUCEV-T-001,endotoxin,0.1,EU/mL,2024-02-30T10:00\n"
    report = import_qc_results(actor=world.analyst, filename="d.csv", data=csv.encode())
    assert [(e.row, e.column) for e in report.errors] == [(2, "tested_at"), (3, "tested_at")]
    assert "2024/02/30" in report.errors[0].message


def _workbook(rows, formats=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for (row, col), fmt in (formats or {}).items():
        ws.cell(row=row, column=col).number_format = fmt
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_excel_date_cells_date_only_is_noon_with_time_is_kept(world, lot):
    data = _workbook(
        [
            ["試験項目", "ロット", "値", "単位", "試験日", "陰性対照", "添加回収率"],
            ["modal_size", "UCEV-T-001", 121, "nm", dt.datetime(2024, 6, 1)],
            ["endotoxin", "UCEV-T-001", 0.12, "EU/mL", dt.datetime(2024, 6, 1, 14, 30), "不検出", 95],
        ],
        formats={(2, 5): "yyyy/m/d", (3, 5): "yyyy/m/d h:mm"},
    )
    report = import_qc_results(actor=world.analyst, filename="jp.xlsx", data=data)
    assert report.ok, report.text()
    got = {r.attribute.code: r.tested_at.astimezone(TOKYO) for r in QCResult.objects.filter(lot=lot)}
    assert got["modal_size"] == dt.datetime(2024, 6, 1, 12, 0, tzinfo=TOKYO)
    assert got["endotoxin"] == dt.datetime(2024, 6, 1, 14, 30, tzinfo=TOKYO)


def test_comment_lines_and_unfilled_template_rows_are_skipped():
    text = (
        "# QC results of lot UCEV-T-001\n# value: the numeric result\n"
        "lot,attribute,value,unit,method,tested_at,name\n"
        "UCEV-T-001,modal_size,121,nm,NTA,2024-06-01,Modal size\n"
        "UCEV-T-001,endotoxin,,EU/mL,LAL,,Endotoxin\n"
    )
    skipped: list[int] = []
    rows = read_rows("t.csv", text.encode(), skipped=skipped)
    assert [n for n, _row in rows] == [4] and skipped == [5]
    assert "name" not in rows[0][1]  # an informative column is not read


def test_a_saved_mapping_names_an_instruments_headers(world, lot):
    mapping = create_column_mapping(
        actor=world.analyst,
        name="NanoSight export",
        headers={"lot": "Sample ID", "attribute": "Parameter", "value": "Mode (nm)", "tested_at": "Run time"},
    )
    csv = "Sample ID,Parameter,Mode (nm),Run time,unit\nUCEV-T-001,modal_size,118,2024-06-01 10:00,nm\n"
    with pytest.raises(InputError, match="missing columns: lot, attribute, tested_at"):
        read_rows("ns.csv", csv.encode())
    report = import_qc_results(actor=world.analyst, filename="ns.csv", data=csv.encode(), mapping=mapping)
    assert report.ok, report.text()
    assert QCResult.objects.get(lot=lot).value == 118
    event = AuditEvent.objects.get(action="qc_result.import")
    assert json.loads(event.after)["mapping"] == "NanoSight export"


def test_mapping_create_and_change_are_audited_and_checked(world):
    mapping = create_column_mapping(actor=world.analyst, name="LAL reader", headers={"value": "EU/mL result"})
    with pytest.raises(InputError, match="already mapped") as refused:
        change_column_mapping(
            actor=world.analyst, mapping=mapping, name="LAL reader", headers={"value": "X", "unit": " x "}
        )
    assert refused.value.where == "unit"
    with pytest.raises(InputError, match="exists"):
        create_column_mapping(actor=world.analyst, name="lal READER", headers={"value": "y"})
    change_column_mapping(
        actor=world.analyst, mapping=mapping, name="LAL reader", headers={"value": "Result"}
    )
    events = list(AuditEvent.objects.filter(object_type="qc_column_mapping").order_by("seq"))
    assert [e.action for e in events] == ["qc_mapping.create", "qc_mapping.change"]
    assert "EU/mL result" in events[1].before and "Result" in events[1].after
    from evqms.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        create_column_mapping(actor=world.operator, name="mine", headers={"value": "v"})


def test_two_headers_read_as_one_column_are_refused():
    csv = "lot,ロット番号,attribute,tested_at\nA,B,x,2024-06-01\n"
    with pytest.raises(InputError, match="more than one column is read as lot"):
        read_rows("two.csv", csv.encode())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"# only a comment\n\n", "the file is empty"),
        (b"lot,attribute,value\nUCEV-T-001,modal_size,1\n", "missing columns: tested_at"),
        (b"lot,attribute,tested_at\n", "no data rows"),
        ("ロット,試験項目,試験日\n".encode("euc_jp"), "neither UTF-8 nor Shift_JIS"),
    ],
)
def test_bad_files_are_refused_naming_the_file(world, lot, data, message):
    report = preview_qc_import(actor=world.analyst, filename="bad.csv", data=data)
    assert not report.ok and report.errors[0].row is None
    assert message in report.errors[0].message and "bad.csv" in report.errors[0].message


def test_preview_shows_rows_as_stored_and_writes_no_result(world, lot):
    csv = (
        "lot,attribute,value,unit,text_value,method,tested_at\n"
        "UCEV-T-001,particle_concentration,2.5E+06,particles/uL,,NTA,2024-06-01T10:30\n"
        "UCEV-T-001,modal_size,121,nm,,NTA,2024-06-01T10:30\n"
        "UCEV-T-001,modal_size,122,nm,,NTA,2024-06-01T10:30\n"
        "UCEV-T-002,cd63,,,positive,WB,2024-06-01\n"
    )
    other = world.in_qc("UCEV-T-002")
    report = preview_qc_import(actor=world.analyst, filename="p.csv", data=csv.encode(), lot=lot)
    assert [(e.row, e.column) for e in report.errors] == [(4, "attribute"), (5, "lot")]
    assert "this import is for lot UCEV-T-001" in report.errors[1].message
    first = report.preview[0].result
    # 2.5e6 particles/µL = 2.5e9 particles/mL (1 mL = 1000 µL), the specification's unit.
    assert first.value_in_spec_unit == 2_500_000_000 and first.verdict in ("pass", "alert")
    assert first.pk is None and QCResult.objects.count() == 0
    assert AuditEvent.objects.filter(action="qc_result.import_preview").count() == 1
    assert not AuditEvent.objects.filter(action="qc_result.record").exists()
    assert other.qc_results.count() == 0


def test_the_import_refuses_bytes_other_than_the_previewed(world, lot):
    csv = "lot,attribute,value,unit,tested_at\nUCEV-T-001,modal_size,121,nm,2024-06-01\n"
    previewed = preview_qc_import(actor=world.analyst, filename="p.csv", data=csv.encode())
    assert previewed.ok
    with pytest.raises(InputError, match="not the one previewed"):
        import_qc_results(
            actor=world.analyst,
            filename="p.csv",
            data=csv.replace("121", "112").encode(),
            previewed=previewed.sha256,
        )
    assert QCResult.objects.count() == 0


def test_cli_dry_run_with_a_mapping_records_nothing_and_help_lists_the_columns(
    world, lot, tmp_path, capsys, monkeypatch
):
    from evqms.cli import main

    create_column_mapping(actor=world.analyst, name="LIMS", headers={"lot": "Batch", "tested_at": "When"})
    path = tmp_path / "lims.csv"
    path.write_text("Batch,attribute,value,unit,When\nUCEV-T-001,modal_size,121,nm,2024/06/01 10:30\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(world.analyst.raw_password + "\n"))
    args = [
        "lots",
        "import-qc",
        str(path),
        "--as",
        "qc1",
        "--password-stdin",
        "--mapping",
        "lims",
        "--dry-run",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "nothing recorded" in out and "row 2: UCEV-T-001 modal_size = 121 nm" in out
    assert "2024-06-01 10:30 JST" in out and QCResult.objects.count() == 0
    with pytest.raises(SystemExit):
        main(["lots", "import-qc", "--help"])
    help_text = capsys.readouterr().out
    assert "tested_at" in help_text and "12:00 (noon)" in help_text and "試験日時" in help_text
