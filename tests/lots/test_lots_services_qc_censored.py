"""Censored QC results through every way in (the service, the entry form, the CSV import, the API)
and out (the lot page, the audit event, the history, the API). The test specification's endotoxin
limit is "< 0.5 EU/mL" (exclusive, two decimals); particle concentration "≥ 1 × 10⁹ – ≤ 1 × 10¹²
particles/mL"; verdicts below are worked out by hand from those limits."""

import json
from decimal import Decimal as D

import pytest
from django.utils import timezone
from lots_services_helpers import qc_lot, record
from rest_framework.test import APIClient

from evqms.audit.models import AuditEvent
from evqms.errors import InputError
from evqms.lots.models import Deviation, QCResult
from evqms.lots.qc_import import import_qc_results

pytestmark = pytest.mark.django_db


def test_below_the_loq_passes_an_upper_limit_above_it(world):
    lot = qc_lot(world)
    r = record(world, lot, "endotoxin", "<0.05", "EU/mL")
    assert (r.censor, r.value, r.value_in_spec_unit, r.reported_value) == (
        "<",
        D("0.05"),
        D("0.05"),
        D("0.05"),
    )
    assert r.verdict == "pass"
    assert not Deviation.objects.filter(lot=lot).exists()
    assert r.history.get().censor == "<"  # the history row keeps the sign
    after = json.loads(AuditEvent.objects.get(action="qc_result.record", object_id=str(r.pk)).after)
    assert after["censor"] == "<" and D(after["value"]) == D("0.05")


def test_the_bound_is_converted_with_its_unit(world):
    # "< 50 EU/L" is "< 0.05 EU/mL" (1 L = 1000 mL): kept as entered, judged in EU/mL.
    lot = qc_lot(world)
    r = record(world, lot, "endotoxin", "< 50", "EU/L")
    assert (r.censor, r.value, r.unit, r.value_in_spec_unit) == ("<", D("50"), "EU/L", D("0.05"))
    assert r.verdict == "pass"


def test_a_loq_above_the_limit_is_an_oos_that_says_why(world):
    lot = qc_lot(world)
    r = record(world, lot, "endotoxin", "<1", "EU/mL")  # 0 <= x < 1 may be 0.7: not shown < 0.5
    assert r.verdict == "fail" and r.censor == "<"
    oos = Deviation.objects.get(lot=lot, source="oos")
    assert "< 1 EU/mL" in oos.description and "cannot be shown" in oos.description


@pytest.mark.parametrize(
    ("value", "unit", "why"),
    [
        # > 2e9 particles/uL is > 2e12 particles/mL: above "<= 1e12" whatever it is
        (">2e9", "particles/uL", "above the upper limit"),
        # > 2e6 particles/uL is > 2e9 particles/mL: meets ">= 1e9" but may pass "<= 1e12" or not
        (">2e6", "particles/uL", "cannot be shown"),
    ],
)
def test_above_the_uloq_against_an_upper_limit_fails(world, value, unit, why):
    lot = qc_lot(world)
    r = record(world, lot, "particle_concentration", value, unit)
    assert r.verdict == "fail" and r.censor == ">"
    assert why in Deviation.objects.get(lot=lot, source="oos").description


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("<abc", "give the limit as a number"),
        ("<0", "allows no value"),
        ("≤0.05", "not ≤ or ≥"),
        (">", "after the sign"),
    ],
)
def test_nonsense_is_refused_naming_the_value_field(world, value, message):
    lot = qc_lot(world)
    with pytest.raises(InputError) as e:
        record(world, lot, "endotoxin", value, "EU/mL")
    assert e.value.where == "value" and message in e.value.message
    assert not QCResult.objects.exists()


def test_the_entry_form_takes_full_width_signs_and_the_page_shows_the_sign(client, world, english):
    lot = world.in_qc()
    endotoxin = world.attr("endotoxin")
    client.force_login(world.analyst)
    response = client.post(
        f"/lots/{lot.number}/qc/{endotoxin.pk}/",
        {
            f"a{endotoxin.pk}-value": "＜０.０５",
            f"a{endotoxin.pk}-unit": "EU/mL",
            f"a{endotoxin.pk}-tested_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            f"a{endotoxin.pk}-negative_control": "not detected",
            f"a{endotoxin.pk}-positive_recovery": "95",
        },
    )
    assert response.status_code == 302
    result = QCResult.objects.get(lot=lot, attribute=endotoxin)
    assert (result.censor, result.value, result.verdict) == ("<", D("0.05"), "pass")
    body = client.get(f"/lots/{lot.number}/").content.decode()
    # as stated, not padded to the specification's two decimals
    assert "&lt; 0.05 EU/mL" in body and "0.05 EU/mL" in body


def test_the_import_reads_censored_cells_and_names_a_bad_one(world):
    lot = world.manufacture(world.new_lot("UCEV-T-001"))
    bad = (
        "lot,attribute,value,unit,text_value,method,tested_at,negative_control,positive_recovery\n"
        "UCEV-T-001,endotoxin,< 0.05,EU/mL,,LAL,2024-06-01,not detected,95\n"
        "UCEV-T-001,modal_size,<LOQ,nm,,NTA,2024-06-01,,\n"
    )
    report = import_qc_results(actor=world.analyst, filename="censored.csv", data=bad.encode())
    assert [(e.row, e.column) for e in report.errors] == [(3, "value")]
    assert "<LOQ" in report.errors[0].message
    assert not QCResult.objects.exists()
    good = bad.replace("<LOQ", "121")
    report = import_qc_results(actor=world.analyst, filename="censored.csv", data=good.encode())
    assert report.ok, report.text()
    r = QCResult.objects.get(lot=lot, attribute__code="endotoxin")
    assert (r.censor, r.value, r.verdict) == ("<", D("0.05"), "pass")


def test_the_api_writes_and_reads_the_censored_form(world):
    world.manufacture(world.new_lot("UCEV-API-1"))
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    c.force_authenticate(user=world.analyst)
    r = c.post(
        "/api/v1/lots/UCEV-API-1/results/",
        {
            "attribute": "endotoxin",
            "value": "<0.05",
            "unit": "EU/mL",
            "tested_at": "2024-06-01T10:00:00+09:00",
            "negative_control": "not detected",
            "positive_recovery": "95",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["censor"], body["value"], body["shown"], body["verdict"]) == (
        "<",
        "0.0500000000",
        "< 0.05 EU/mL",
        "pass",
    )
    r = c.post(
        "/api/v1/lots/UCEV-API-1/results/",
        {"attribute": "modal_size", "value": ">ULOQ", "unit": "nm", "tested_at": "2024-06-01T10:00:00+09:00"},
        format="json",
    )
    assert r.status_code == 400 and r.json()["where"] == "value"
