"""Every time a person reads carries its zone, and an event's day is the local day.

Everything here happens at 23:30 UTC on 5 December 2026, which is 08:30 JST on 6 December: a page,
PDF, CSV/JSON export or command that printed UTC (or dropped the zone) would show the 5th, or a
bare "23:30" that a reader in Tokyo takes for local time.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.utils import timezone, translation

from evqms.cli import main
from evqms.testing.world import passing_controls

pytestmark = pytest.mark.django_db

EARLY = dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)  # 08:30 JST on 6 December
THREE_DAYS_BEFORE = "2026-12-03 08:30 JST"  # the world's lots: steps start three days before "now"


@pytest.fixture
def early(monkeypatch):
    """Make "now" 23:30 UTC on the 5th (08:30 JST on the 6th) for every service and audit event."""
    monkeypatch.setattr(timezone, "now", lambda: EARLY)
    return EARLY


def _page(client, user, url, lang):
    client.force_login(user)
    with translation.override(lang):
        client.cookies["django_language"] = lang
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def _qc_lot(world, number):
    from evqms.lots import services

    lot = world.in_qc(number)
    services.record_qc_result(
        actor=world.analyst,
        lot=lot,
        attribute=world.attr("endotoxin"),
        value="0.10",
        unit="EU/mL",
        tested_at=EARLY,
        controls=passing_controls(world.attr("endotoxin")),
    )
    return lot


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_audit_trail_shows_local_time_with_its_zone(client, world, early, lang):
    lot = world.new_lot("UCEV-Z-001")
    html = _page(client, world.auditor, f"/audit/?object_type=lot&object_id={lot.pk}", lang)
    assert "2026-12-06 08:30:00 JST" in html
    assert "23:30" not in html and "(UTC)" not in html
    # the day filter is the local day: the event is on the 6th, not the 5th
    html = _page(client, world.auditor, f"/audit/?object_type=lot&object_id={lot.pk}&since=2026-12-06", lang)
    assert "2026-12-06 08:30:00 JST" in html


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_lot_page_times_carry_the_zone(client, world, early, lang):
    lot = _qc_lot(world, "UCEV-Z-002")
    html = _page(client, world.auditor, f"/lots/{lot.number}/", lang)
    assert "2026-12-06 08:30 JST" in html  # the QC result's test time
    assert THREE_DAYS_BEFORE in html  # the step records
    assert "2026-12-05 23:30" not in html


def test_lots_show_command_text_and_json(world, early, capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")
    lot = _qc_lot(world, "UCEV-Z-003")
    text = _cli(["lots", "show", lot.number], capsys)
    assert THREE_DAYS_BEFORE in text
    story = json.loads(_cli(["lots", "show", lot.number, "--format", "json"], capsys))
    assert story["steps"][0]["started_at"] == "2026-12-03T08:30:00+09:00"
    assert story["results"][0]["tested_at"] == "2026-12-06T08:30:00+09:00"


def test_lot_api_gives_local_times_with_offset(client, world, early):
    lot = _qc_lot(world, "UCEV-Z-005")
    client.force_login(world.auditor)
    story = client.get(f"/api/v1/lots/{lot.number}/").json()
    assert story["results"][0]["tested_at"] == "2026-12-06T08:30:00+09:00"
    assert story["steps"][0]["started_at"] == "2026-12-03T08:30:00+09:00"


def test_certificate_of_analysis_prints_local_time_with_zone(world, early, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")  # `--lang` sets it for the process; restore it afterwards
    from pypdf import PdfReader

    lot = _qc_lot(world, "UCEV-Z-004")
    out = tmp_path / "coa.pdf"
    _cli(["report", "coa", lot.number, "-o", str(out), "--lang", "en"], capsys)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "2026-12-06 08:30:00 JST (UTC+09:00, Asia/Tokyo)" in " ".join(text.split())


def _assessed(world):
    from evqms.compliance import services

    [(stored, _engine)] = services.run_assessment(
        actor=None, product=world.product, ruleset_refs=["jsrm-2024"]
    )
    return stored


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_compliance_pages_and_report_use_the_local_day(client, world, early, lang):
    stored = _assessed(world)
    assert stored.assessed_at == EARLY
    code = world.product.code
    assert "2026-12-06 08:30 JST" in _page(client, world.qa, "/compliance/", lang)
    assert "2026-12-06 08:30 JST" in _page(client, world.qa, f"/compliance/{code}/", lang)
    client.force_login(world.qa)
    response = client.get(f"/compliance/{code}/report.html?lang={lang}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<td>2026-12-06</td>" in html and "2026-12-05" not in html


def test_compliance_history_command(world, early, capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")
    _assessed(world)
    rows = json.loads(_cli(["compliance", "history", world.product.code, "--format", "json"], capsys))
    assert rows[0]["assessed_at"] == "2026-12-06T08:30:00+09:00"
    text = _cli(["compliance", "history", world.product.code], capsys)
    assert text.startswith("2026-12-06 08:30 JST")


def _administered(world):
    """A released lot's aliquot given to a patient at 23:30 UTC (08:30 JST on the 6th)."""
    from evqms.clinical import services as clinical
    from evqms.inventory import services as inventory
    from evqms.testing import factories as f

    physician = f.user("tz-physician", "physician")
    lot = f.lot("UCEV-Z-100", status="released", prod=world.product, bank=world.bank)
    inventory.create_aliquots(
        actor=world.operator, lot=lot, count=1, volume_ml="1.0", particle_count="2e10", protein_ug="20"
    )
    clinical.register_patient(
        actor=physician, code="P-TZ", clinic_identifier="CHART-TZ", consented_on=dt.date(2026, 11, 1)
    )
    adm = clinical.record_administration(
        actor=physician,
        patient="P-TZ",
        aliquots=[f"{lot.number}-A001"],
        administered_at=EARLY,
        route="intra_articular",
    )
    return lot, adm, physician


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_administration_and_trace_pages(client, world, early, lang):
    lot, adm, physician = _administered(world)
    html = _page(client, physician, f"/clinical/administrations/{adm.number}/", lang)
    assert "2026-12-06 08:30 JST" in html
    html = _page(client, world.qa, f"/trace/lot/{lot.number}/", lang)
    assert "2026-12-06 08:30 JST" in html  # the recipients table
    assert "2026-12-05" not in html  # nor the UTC day in the drawing


def test_trace_command_text_and_json(world, early, capsys, monkeypatch):
    monkeypatch.setenv("EVQMS_LANG", "en")
    lot, adm, _physician = _administered(world)
    text = _cli(["trace", "--lot", lot.number], capsys)
    assert "2026-12-06 08:30 JST" in text
    data = json.loads(_cli(["trace", "--lot", lot.number, "--format", "json"], capsys))
    [node] = data["nodes"]["administration"]
    assert node["at"] == "2026-12-06T08:30:00+09:00"
    assert data["recipients"][0]["administered_at"] == "2026-12-06T08:30:00+09:00"


def test_template_filters_accept_stored_text_and_never_fail():
    from evqms.core.templatetags.evqms_time import local_day, local_time, local_time_s

    assert local_time("2026-12-05T23:30:00+00:00") == "2026-12-06 08:30 JST"
    assert local_time_s(EARLY) == "2026-12-06 08:30:00 JST"
    assert local_day(EARLY) == "2026-12-06"
    assert local_day(dt.date(2026, 12, 5)) == "2026-12-05"  # a plain date is already a local day
    assert local_time(None) == "" and local_time("not a time") == "not a time"
