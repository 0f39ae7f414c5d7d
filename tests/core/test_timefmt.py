"""Times people read carry the facility's zone (Asia/Tokyo by default, UTC+09:00)."""

import datetime as dt

from django.test import override_settings

from evqms.core.timefmt import display_local, iso_local, local_date, to_local

UTC_0100 = dt.datetime(2026, 12, 6, 1, 0, tzinfo=dt.UTC)  # 10:00 JST
UTC_2330 = dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)  # 08:30 JST on the 6th


def test_iso_local_carries_the_offset():
    assert iso_local(UTC_0100) == "2026-12-06T10:00:00+09:00"
    assert iso_local("2026-12-06T01:00:00+00:00") == "2026-12-06T10:00:00+09:00"
    assert iso_local(None) == ""


def test_display_names_the_zone():
    assert display_local(UTC_0100) == "2026-12-06 10:00 JST"
    assert display_local(UTC_0100, seconds=True) == "2026-12-06 10:00:00 JST"


def test_a_time_before_0900_jst_lands_on_the_local_day():
    assert local_date(UTC_2330) == dt.date(2026, 12, 6)
    assert UTC_2330.date() == dt.date(2026, 12, 5)


def test_naive_values_are_read_as_utc():
    assert to_local(dt.datetime(2026, 12, 6, 1, 0)).hour == 10


@override_settings(TIME_ZONE="Asia/Dubai")
def test_a_zone_without_abbreviation_prints_its_offset():
    from django.utils import timezone

    timezone.deactivate()
    assert display_local(UTC_0100).endswith("UTC+04:00")
