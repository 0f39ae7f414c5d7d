"""The CSV import: all rows or none, problems named by line and column, the original kept."""

from __future__ import annotations

import json

import pytest
from django.core.files.storage import default_storage

from evqms.audit.models import AuditEvent
from evqms.core.canonical import sha256_hex
from evqms.environment.importer import import_results
from evqms.environment.models import Sample
from evqms.errors import PermissionDenied

pytestmark = pytest.mark.django_db

GOOD = (
    b"point,method,state,sampled_at,count,exposure_minutes,volume_litres,particles_per_m3,sampled_by\n"
    b"B1-SP01,settle_plate,in_operation,2026-11-02T09:00,1,240,,,em-analyst\n"
    b"B1-SP01,active_air,in_operation,2026-11-02T09:10,2,,1000,,\n"
    b"B1-SP01,particles_0_5,at_rest,2026-11-02 08:00,,,,1200,\n"
)


def test_a_good_file_is_imported_with_its_hash(people, points):
    report = import_results(actor=people["analyst"], filename="em-2026-11-02.csv", data=GOOD)
    assert report.ok, [e.text() for e in report.errors]
    assert len(report.created) == 3
    samples = Sample.objects.filter(number__in=report.created)
    assert {s.import_sha256 for s in samples} == {sha256_hex(GOOD)}
    assert {s.method: s.verdict for s in samples} == {
        "settle_plate": "within",
        "active_air": "within",  # 2 cfu/m3 against alert 5
        "particles_0_5": "within",  # 1 200 at rest against alert 1 760
    }
    with default_storage.open(report.stored_as, "rb") as fh:
        assert fh.read() == GOOD
    assert AuditEvent.objects.filter(action="em_sample.import").count() == 1


@pytest.mark.parametrize(
    ("row", "line", "column"),
    [
        ("X9-NONE,settle_plate,in_operation,2026-11-02T09:00,1,240,,,", 3, "point"),
        ("B1-SP01,swab,in_operation,2026-11-02T09:00,1,240,,,", 3, "method"),
        ("B1-SP01,settle_plate,busy,2026-11-02T09:00,1,240,,,", 3, "state"),
        ("B1-SP01,settle_plate,in_operation,2.11.2026,1,240,,,", 3, "sampled_at"),
        ("B1-SP01,settle_plate,in_operation,2026-11-02T09:00,1,300,,,", 3, "exposure_minutes"),
        ("B1-SP01,settle_plate,in_operation,2026-11-02T09:00,many,240,,,", 3, "count"),
        ("B1-SP01,active_air,in_operation,2026-11-02T09:00,1,,0,,", 3, "volume_litres"),
        ("B1-SP01,settle_plate,in_operation,2026-11-02T09:00,1,240,,,nobody", 3, "sampled_by"),
        ("B1-SP01,settle_plate,in_operation,2099-01-01T09:00,1,240,,,", 3, "sampled_at"),
    ],
)
def test_one_bad_row_refuses_the_whole_file_naming_line_and_column(people, points, row, line, column):
    data = (
        "point,method,state,sampled_at,count,exposure_minutes,volume_litres,particles_per_m3,sampled_by\n"
        "B1-SP01,contact_plate,in_operation,2026-11-02T09:00,0,,,,\n" + row + "\n"
    ).encode()
    report = import_results(actor=people["analyst"], filename="bad.csv", data=data)
    assert not report.ok and report.created == []
    assert [(e.line, e.column) for e in report.errors] == [(line, column)]
    assert Sample.objects.count() == 0  # the good first row was not kept either
    refused = AuditEvent.objects.get(action="em_sample.import_refused")
    assert json.loads(refused.after)["sha256"] == sha256_hex(data)
    with default_storage.open(report.stored_as, "rb") as fh:  # the refused original is kept too
        assert fh.read() == data


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", "empty"),
        (b"point,method\n", "missing columns: sampled_at"),
        (
            b"point,method,sampled_at,colour\nB1-SP01,settle_plate,2026-11-02T09:00,red\n",
            "unknown columns: colour",
        ),
        (b"point,method,sampled_at\n", "no data rows"),
        (b"point,method,sampled_at\nB1\x00,x,y\n", "NUL"),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(people, points, data, text):
    report = import_results(actor=people["analyst"], filename="odd.csv", data=data)
    assert not report.ok and text in report.errors[0].text()
    assert Sample.objects.count() == 0


def test_importing_needs_the_record_permission(people, points):
    with pytest.raises(PermissionDenied):
        import_results(actor=people["qa"], filename="em.csv", data=GOOD)
