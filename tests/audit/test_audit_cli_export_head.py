"""`evqms audit export-head`: the text a person reads gives the time in the facility's zone, named;
the JSON keeps ISO 8601 with its offset."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import override_settings

from evqms.cli import main


@pytest.mark.django_db
@override_settings(TIME_ZONE="Asia/Tokyo")
def test_text_shows_local_time_with_its_zone(capsys):
    assert main(["audit", "export-head"]) == 0
    out = capsys.readouterr().out.strip()
    digest, seq, exported = out.split("  ")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)  # the hash stays first: what --expect-head takes
    assert seq.startswith("seq=")
    stamp = re.fullmatch(r"exported_at=(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) JST", exported)
    assert stamp, exported
    shown = dt.datetime.fromisoformat(stamp.group(1)).replace(tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert abs(dt.datetime.now(dt.UTC) - shown) < dt.timedelta(minutes=5)


@pytest.mark.django_db
def test_json_keeps_iso_8601_with_the_offset(capsys):
    assert main(["audit", "export-head", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert dt.datetime.fromisoformat(data["exported_at"]).utcoffset() is not None
    assert set(data) == {"seq", "head_hash", "exported_at"}
