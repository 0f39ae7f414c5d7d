"""`evqms lots import-qc` and the import service on hostile and mutated files: all rows or none,
never a traceback or a hang, exit 2 on one line naming the file; too large a file or a
decompression bomb workbook is refused before anything is kept."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, given, settings

from evqms.audit.models import AuditEvent
from evqms.errors import InputError
from evqms.i18n import use_language
from evqms.lots.models import QCResult
from evqms.lots.qc_import import import_qc_results
from evqms.testing.inputfuzz import alarm, check_cli, mutated

pytestmark = pytest.mark.django_db

GOOD = b"""lot,attribute,value,unit,text_value,method,tested_at,analyst,positive_control,negative_control,positive_recovery
UCEV-Z-001,particle_concentration,2.5E+06,particles/uL,,NTA,2024-06-01T10:30,,,,
UCEV-Z-001,modal_size,121,nm,,NTA,2024-06-01T10:30,,,,
UCEV-Z-001,endotoxin,0.12,EU/mL,,LAL,2024-06-02 09:00,,,not detected,95
"""
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")
    with use_language("en"):
        yield


@pytest.fixture
def lot(world):
    return world.manufacture(world.new_lot("UCEV-Z-001"))


def _cli(capsys, monkeypatch, world, data: bytes, suffix: str = ".csv"):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"results{suffix}"
        path.write_bytes(data)
        monkeypatch.setattr("sys.stdin", io.StringIO(world.analyst.raw_password + "\n"))
        argv = ["lots", "import-qc", str(path), "--as", world.analyst.username, "--password-stdin"]
        return check_cli(argv, capsys, name=path.name)


@FUZZ
@given(data=mutated(GOOD, "csv"))
def test_mutated_import_is_all_or_nothing(world, lot, data):
    before = QCResult.objects.count()
    with alarm(30):
        report = import_qc_results(actor=world.analyst, filename="fuzz.csv", data=data)
    after = QCResult.objects.count()
    if report.ok:
        assert after == before + len(report.created)
    else:
        assert after == before and report.created == [] and report.errors


@FUZZ
@given(data=mutated(GOOD, "csv"))
def test_mutated_cli_import_keeps_the_contract(world, lot, capsys, monkeypatch, data):
    _cli(capsys, monkeypatch, world, data)


def test_utf16_and_nul(world, lot):
    report = import_qc_results(actor=world.analyst, filename="r.csv", data=GOOD.decode().encode("utf-16-be"))
    assert report.ok and len(report.created) == 3  # UTF-16 without BOM is read
    report = import_qc_results(actor=world.analyst, filename="n.csv", data=GOOD[:30] + b"\x00" + GOOD[30:])
    assert not report.ok and "contains a NUL byte" in report.errors[0].text()


def test_too_large_a_file_is_refused_and_nothing_kept(world, lot, monkeypatch, capsys):
    monkeypatch.setenv("EVQMS_UPLOAD_LIMIT_MB", "1")
    big = GOOD + b"#" * (1024 * 1024)
    with pytest.raises(
        InputError, match=r"^big\.csv: is larger than the limit of 1 MB \(EVQMS_UPLOAD_LIMIT_MB\)$"
    ):
        import_qc_results(actor=world.analyst, filename="big.csv", data=big)
    imports = Path(django_settings.MEDIA_ROOT) / "imports"
    assert not imports.exists() or not any(p.name.endswith("big.csv") for p in imports.iterdir())
    assert not AuditEvent.objects.filter(object_type="qc_import").exists()
    code, err = _cli(capsys, monkeypatch, world, big)
    assert code == 2 and "is larger than the limit of 1 MB (EVQMS_UPLOAD_LIMIT_MB)" in err


def test_workbook_decompression_bomb_refused(world, lot, monkeypatch):
    monkeypatch.setenv("EVQMS_DECOMPRESSED_LIMIT_MB", "2")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b" " * (3 * 1024 * 1024))
    report = import_qc_results(actor=world.analyst, filename="bomb.xlsx", data=out.getvalue())
    assert not report.ok
    assert (
        "bomb.xlsx: is larger than the limit of 2 MB (EVQMS_DECOMPRESSED_LIMIT_MB)" in report.errors[0].text()
    )
