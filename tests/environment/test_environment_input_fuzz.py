"""The environmental-monitoring import on mutated files: a report every time (all rows or none),
never an exception escaping the service, never a hang."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from evqms.environment.importer import import_results
from evqms.environment.models import Sample
from evqms.testing.inputfuzz import alarm, mutated

pytestmark = pytest.mark.django_db

GOOD = (
    b"point,method,state,sampled_at,count,exposure_minutes,volume_litres,particles_per_m3\n"
    b"B1-SP01,settle_plate,in_operation,2026-11-02T09:00,1,240,,\n"
    b"B1-SP01,active_air,in_operation,2026-11-02T09:10,12,,1000,\n"
    b"B1-SP01,particles_5,at_rest,2026-11-02T08:00,,,,12\n"
)
FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(data=mutated(GOOD, "csv"))
def test_mutated_import_is_all_or_nothing(people, points, data):
    before = Sample.objects.count()
    with alarm(30):
        report = import_results(actor=people["analyst"], filename="fuzz.csv", data=data)
    after = Sample.objects.count()
    if report.ok:
        assert after == before + len(report.created)
    else:
        assert after == before and report.created == [] and report.errors


def test_utf16_is_read(people, points):
    report = import_results(actor=people["analyst"], filename="u16.csv", data=GOOD.decode().encode("utf-16"))
    assert report.ok and len(report.created) == 3
