"""The serious-adverse-event report: the PDF's text in Japanese and English (pypdf), the E2B(R3)
export of a hand-built event (element codes and values worked out by hand from the E2B(R3)
Implementation Guide's code lists), its pseudonymisation, and the downloads' permissions."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from evqms.reports import safety
from evqms.testing import factories as f

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> str:
    return re.sub(r"\s+", "", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


def serious_event(*, birth_year=1958, sex="female", follow_up=True):
    """Lot SR-LOT-01 (cell bank WCB-SR) given to patient PT-SR-1 (female, born 1958) at a fixed time;
    a serious (hospitalisation), unexpected grade 3 event with one follow-up."""
    from evqms.clinical import services as clinical
    from evqms.clinical.services.safety import record_ae_follow_up
    from evqms.inventory import services as inventory

    operator = f.user("sr-operator", "operator")
    physician = f.user("sr-physician", "physician")
    physician.printed_name = "Dr Hanako Sato"
    physician.save(update_fields=["printed_name"])
    product = f.product("sr-product", name="UC-MSC sEV")
    lot = f.lot("SR-LOT-01", status="released", prod=product, bank=f.cell_bank("WCB-SR", kind="WCB"))
    inventory.create_aliquots(actor=operator, lot=lot, count=2, volume_ml="1.0")
    clinical.register_patient(
        actor=physician,
        code="PT-SR-1",
        clinic_identifier="CHART-SR-1",
        birth_year=birth_year,
        sex=sex,
        consented_on=dt.date(2024, 1, 5),
    )
    given = timezone.now().replace(microsecond=0) - dt.timedelta(days=4)
    adm = clinical.record_administration(
        actor=physician,
        patient="PT-SR-1",
        aliquots=["SR-LOT-01-A001"],
        administered_at=given,
        route="intra_articular",
        site="left knee",
        dose="2e10",
        protein_dose="20",
        body_weight_kg="50",
    )
    ae = clinical.record_adverse_event(
        actor=physician,
        patient="PT-SR-1",
        administration=adm.number,
        onset=given + dt.timedelta(hours=20),
        description="Septic arthritis of the left knee",
        ctcae_term="Joint infection",
        ctcae_grade=3,
        causality="probable",
        seriousness_criteria=["hospitalisation"],
        expectedness="unexpected",
        learned_on=timezone.localdate() - dt.timedelta(days=3),
        outcome="recovering",
    )
    if follow_up:
        record_ae_follow_up(
            actor=physician,
            adverse_event=ae,
            learned_on=timezone.localdate() - dt.timedelta(days=1),
            information="Culture grew S. epidermidis; IV antibiotics",
            needs_report=False,
        )
    ae.refresh_from_db()
    return ae, adm, physician


def test_pdf_in_english_names_every_field():
    ae, adm, _physician = serious_event()
    report = safety.pick_report(ae)
    text = _text(safety.build_document(ae, report, "en").pdf())
    for expected in (
        "Seriousadverseeventreport",
        report.number,
        ae.number,
        "PT-SR-1",
        "Elderly",  # born 1958
        "Female",
        "sr-product—UC-MSCsEV",
        "SR-LOT-01",
        "WCB-SR",
        "SR-LOT-01-A001",
        "2×10",  # 2e10 particles, the exponent as superscript
        "Intra-articularinjection",
        "leftknee",
        "JointInfection".lower(),
        "Grade3(severe)",
        "Septicarthritisoftheleftknee",
        "Requiresorprolongshospitalisation",
        "Met",
        "Probable",
        "Unexpected",
        "Recovering",
        "CulturegrewS.epidermidis",
        "DrHanakoSato",
        report.due_on.isoformat(),
        "Notsubmitted:duein",
    ):
        assert expected.lower() in text.lower(), expected
    # Times are local with the zone named.
    local = timezone.localtime(adm.administered_at)
    assert f"{local:%Y-%m-%d%H:%M:%S}JST" in text


def test_pdf_in_japanese():
    ae, _adm, _physician = serious_event()
    report = safety.pick_report(ae)
    text = _text(safety.build_document(ae, report, "ja").pdf())
    for expected in (
        "重篤な有害事象報告",
        report.number,
        "PT-SR-1",
        "高齢者",
        "女性",
        "SR-LOT-01",
        "関節内注射",
        "グレード3（重症）",
        "入院又は入院期間の延長",
        "該当",
        "予測できない",
        "報告期限",
        "未提出",
        "CulturegrewS.epidermidis",
    ):
        assert expected.lower() in text.lower(), expected
    assert "Seriousadverseeventreport" not in text


def test_pdf_shows_a_signed_late_submission(rf_request):
    from evqms.clinical.services.safety import record_submission

    ae, _adm, physician = serious_event(follow_up=False)
    report = safety.pick_report(ae)
    physician.raw_password = "pw-sr-1234567"
    physician.set_password(physician.raw_password)
    physician.save()
    report.due_on = report.clock_start  # due the day the clock started: a submission today is late
    report.save(update_fields=["due_on"])
    record_submission(
        request=rf_request,
        actor=physician,
        report=report,
        password=physician.raw_password,
        submitted_on=timezone.localdate(),
        submitted_to="PMDA",
        authority_reference="PMDA-2026-0042",
        late_reason="culture result awaited",
    )
    report.refresh_from_db()
    text = _text(safety.build_document(ae, report, "en").pdf())
    for expected in ("Submittedlate", "PMDA-2026-0042", "cultureresultawaited", "DrHanakoSato", "JST"):
        assert expected in text, expected


def test_e2b_fields_and_codes_of_a_hand_built_event():
    ae, adm, _physician = serious_event()
    report = safety.pick_report(ae)
    created = dt.datetime(2026, 12, 7, 1, 2, 3, tzinfo=dt.UTC)
    case = safety.e2b_case(ae, report, created=created)
    e = case["elements"]
    assert case["standard"] == "ICH E2B(R3)"
    assert e["C.1.1"] == f"JP-EVQMS-{report.number}"
    assert e["C.1.8.1"] == e["C.1.1"]  # the initial report names the case
    assert e["C.1.2"] == "20261207100203+0900"  # 01:02:03 UTC is 10:02:03 in Tokyo
    assert e["C.1.3"] == "1"
    assert e["C.1.4"] == ae.learned_on.strftime("%Y%m%d")
    assert e["C.1.5"] == (timezone.localdate() - dt.timedelta(days=1)).strftime("%Y%m%d")  # the follow-up
    assert e["C.1.7"] is True
    assert e["C.2.r"] == [{"C.2.r.3": "JP", "C.2.r.4": "1"}]  # a physician reported it
    assert e["D.1"] == "PT-SR-1"
    assert e["D.2.3"] == "6"  # born 1958: 67 or 68 at an onset in 2026 (or later), elderly either way
    assert e["D.5"] == "2"
    (reaction,) = e["E.i"]
    assert reaction["E.i.1.1a"] == "Septic arthritis of the left knee"
    assert reaction["E.i.3.2c"] is True
    for element in ("E.i.3.2a", "E.i.3.2b", "E.i.3.2d", "E.i.3.2e", "E.i.3.2f"):
        assert reaction[element] == {"nullFlavor": "NI"}
    assert reaction["E.i.4"] == timezone.localtime(ae.onset).strftime("%Y%m%d%H%M%S+0900")
    assert reaction["E.i.7"] == "2"  # recovering
    assert "E.i.5" not in reaction  # not ended
    assert reaction["E.i.9"] == "JP"
    (drug,) = e["G.k"]
    assert drug["G.k.1"] == "1"
    assert drug["G.k.2.2"] == "UC-MSC sEV (sr-product)"
    (dosage,) = drug["G.k.4.r"]
    assert dosage["G.k.4.r.7"] == "SR-LOT-01"
    assert Decimal(dosage["G.k.4.r.1a"]) == Decimal("2e10")
    assert dosage["G.k.4.r.1b"] == "{particles}"
    assert dosage["G.k.4.r.8"].startswith("20") and dosage["G.k.4.r.8"].endswith("ug protein")
    assert dosage["G.k.4.r.10.1"] == "Intra-articular injection"
    assert dosage["G.k.4.r.4"] == timezone.localtime(adm.administered_at).strftime("%Y%m%d%H%M%S+0900")
    assessment = drug["G.k.9.i"][0]["G.k.9.i.2.r"][0]
    assert assessment["G.k.9.i.2.r.3"] == "Probable"
    assert "Culture grew S. epidermidis" in e["H.1"]
    assert case["evqms"]["ctcae_grade"] == 3 and case["evqms"]["expectedness"] == "unexpected"
    assert case["evqms"]["report"]["due_on"] == report.due_on.isoformat()
    assert case["element_names"]["D.2.3"] == "Patient age group (as per reporter)"
    assert "C.1.11.1" not in case["element_names"]  # only the elements the export carries


def test_e2b_is_pseudonymised():
    ae, _adm, _physician = serious_event()
    case = safety.e2b_case(ae, safety.pick_report(ae))
    text = json.dumps(case, ensure_ascii=False)
    assert not re.search(r"(?<!\d)1958(?!\d)", text)  # no birth year (a time may hold the digits)
    assert ae.patient.identity_hash not in text
    assert "CHART-SR-1" not in text
    patient_elements = {k for k in case["elements"] if k.startswith("D.")}
    assert patient_elements == {"D.1", "D.2.3", "D.5"}


@pytest.mark.parametrize(
    ("birth_year", "onset_year", "group"),
    [
        (1961, 2026, None),  # 64 or 65: adult or elderly, cannot tell
        (1960, 2026, "6"),  # 65 or 66
        (2008, 2026, None),  # 17 or 18: adolescent or adult
        (2010, 2026, "4"),  # 15 or 16
        (2024, 2026, None),  # 1 or 2: an infant's group needs the birth date
        (None, 2026, None),
    ],
)
def test_age_group_from_a_birth_year(birth_year, onset_year, group):
    onset = dt.datetime(onset_year, 6, 1, tzinfo=dt.UTC)
    assert safety.age_group(birth_year, onset) == group


def test_no_report_for_a_non_serious_event():
    from evqms.clinical import services as clinical
    from evqms.errors import InputError

    ae, adm, physician = serious_event(follow_up=False)
    mild = clinical.record_adverse_event(
        actor=physician,
        patient="PT-SR-1",
        administration=adm.number,
        onset=ae.onset,
        description="Mild pain",
        ctcae_grade=1,
        causality="possible",
    )
    with pytest.raises(InputError, match="no safety report"):
        safety.pick_report(mild)


def test_downloads_and_who_may_open_them(client, make_user):
    ae, _adm, _physician = serious_event()
    report = safety.pick_report(ae)
    physician = make_user("sr-dl-physician", "physician")
    client.force_login(physician)
    pdf = client.get(f"/reports/safety/{ae.number}.pdf?lang=en")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f"{report.number}-{ae.number}-en.pdf" in pdf["Content-Disposition"]
    assert "PT-SR-1" in _text(pdf.content)
    data = client.get(f"/reports/safety/{ae.number}.json")
    assert data.status_code == 200
    assert json.loads(data.content)["elements"]["C.1.1"] == f"JP-EVQMS-{report.number}"
    assert client.get(f"/reports/safety/{ae.number}.pdf?report=SR-99999").status_code == 404
    assert client.get("/reports/safety/AE-999999.json").status_code == 404
    operator = make_user("sr-dl-operator", "operator")
    client.force_login(operator)
    assert client.get(f"/reports/safety/{ae.number}.pdf").status_code == 403
    assert client.get(f"/reports/safety/{ae.number}.json").status_code == 403


def test_command_line(tmp_path, capsys):
    from evqms.cli import main

    ae, _adm, _physician = serious_event(follow_up=False)
    report = safety.pick_report(ae)
    out = tmp_path / "sr.pdf"
    assert main(["report", "safety", ae.number, "-o", str(out), "--lang", "en"]) == 0
    assert "Seriousadverseeventreport" in _text(out.read_bytes())
    assert report.number in capsys.readouterr().out
    assert main(["report", "safety", ae.number, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["elements"]["D.1"] == "PT-SR-1"
    assert main(["report", "safety", "AE-999999", "--format", "json"]) == 2
    assert "AE-999999" in capsys.readouterr().err
    assert main(["report", "safety", ae.number]) == 2  # a PDF to the terminal: refused
