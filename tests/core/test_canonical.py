import datetime as dt
import locale
import os
import time
import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evqms.core.canonical import canonical_hash, canonical_json


def test_keys_sorted_no_whitespace_decimal_as_string():
    assert canonical_json({"b": 1, "a": Decimal("1.50")}) == '{"a":"1.50","b":1}'


def test_datetime_is_utc_with_z_whatever_its_zone():
    tokyo = dt.timezone(dt.timedelta(hours=9))
    a = dt.datetime(2024, 4, 30, 9, 0, tzinfo=tokyo)
    b = dt.datetime(2024, 4, 30, 0, 0, tzinfo=dt.UTC)
    assert canonical_json(a) == canonical_json(b) == '"2024-04-30T00:00:00.000000Z"'


def test_naive_datetime_and_nan_are_refused():
    with pytest.raises(ValueError):
        canonical_json(dt.datetime(2024, 1, 1))
    with pytest.raises(ValueError):
        canonical_json(float("nan"))
    with pytest.raises(ValueError):
        canonical_json(Decimal("NaN"))
    with pytest.raises(TypeError):
        canonical_json(object())


def test_japanese_text_is_kept_as_utf8_not_escaped():
    assert canonical_json({"名前": "エクソソーム"}) == '{"名前":"エクソソーム"}'


def test_uuid_set_and_date():
    u = uuid.UUID(int=5)
    assert canonical_json({"u": u, "s": {3, 1, 2}, "d": dt.date(2024, 1, 2)}) == (
        f'{{"d":"2024-01-02","s":[1,2,3],"u":"{u}"}}'
    )


aware_datetimes = st.datetimes(
    min_value=dt.datetime(1990, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [dt.UTC, dt.timezone(dt.timedelta(hours=9)), dt.timezone(dt.timedelta(hours=-5))]
    ),
)
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | aware_datetimes,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _with_environment(tz: str, loc: str, func):
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        try:
            locale.setlocale(locale.LC_ALL, loc)
        except locale.Error:
            locale.setlocale(locale.LC_ALL, "C")
        return func()
    finally:
        locale.setlocale(locale.LC_ALL, "C")
        if old_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old_tz
        time.tzset()


@settings(max_examples=150, deadline=None)
@given(values)
def test_hash_is_stable_across_time_zone_and_locale(value):
    reference = canonical_hash(value)
    for tz, loc in (("Asia/Tokyo", "ja_JP.UTF-8"), ("America/New_York", "de_DE.UTF-8"), ("UTC", "C.UTF-8")):
        assert _with_environment(tz, loc, lambda: canonical_hash(value)) == reference


@given(st.dictionaries(st.text(max_size=6), st.integers(), min_size=2, max_size=8))
def test_hash_ignores_key_order(mapping):
    reversed_mapping = dict(reversed(list(mapping.items())))
    assert canonical_hash(mapping) == canonical_hash(reversed_mapping)
