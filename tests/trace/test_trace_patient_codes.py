"""One policy for patient codes (clinical.view_patient_codes): physicians, QA and auditors see them;
operators, QC analysts and administrators see counts (trace, recall, aliquot, API); a QC analyst who
records investigations opens the adverse events, without the patient's code."""

import pytest
from django.test import Client

from evqms.testing import factories as f
from evqms.trace import services

PATIENTS = ("P-1", "P-2", "P-3")  # the lineage's patient codes (conftest)


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _codes_in(text: str) -> set[str]:
    return {p for p in PATIENTS if f">{p}<" in text or f",{p}," in text or f">{p} " in text}


@pytest.fixture
def people(db):
    return {
        "qa": f.user("pc-qa", "qa_reviewer"),
        "physician": f.user("pc-doc", "physician"),
        "auditor": f.user("pc-aud", "auditor"),
        "analyst": f.user("pc-qc", "qc_analyst"),
        "operator": f.user("pc-op", "operator"),
        "admin": f.user("pc-admin", "administrator"),
    }


@pytest.mark.parametrize(
    "role,sees", [("qa", True), ("physician", True), ("auditor", True), ("analyst", False)]
)
def test_trace_page_shows_codes_or_a_count(lineage, people, role, sees):
    html = _client(people[role]).get("/trace/lot/L1/").content.decode()
    assert "ADM-" in html or lineage.adm[1].number in html
    if sees:
        assert {"P-1", "P-2"} <= _codes_in(html)
    else:
        assert not _codes_in(html)
        assert 'id="patient-count"' in html and "Patients: 2" in html


def test_recall_page_and_exports_hide_codes_from_the_analyst(lineage, people, rf_request):
    qa = people["qa"]
    recall = services.recall_lot(
        request=rf_request, actor=qa, lot="L1", reason="Endotoxin OOS", password=qa.raw_password
    )
    url = f"/trace/recalls/{recall.number}/"
    assert {"P-1", "P-2"} <= _codes_in(_client(qa).get(url).content.decode())
    analyst = _client(people["analyst"])
    page = analyst.get(url)
    assert page.status_code == 200
    assert not _codes_in(page.content.decode()) and "code not shown" in page.content.decode()
    csv_text = analyst.get(url + "recipients.csv").content.decode("utf-8-sig")
    assert "P-1" not in csv_text and "P-2" not in csv_text and lineage.adm[1].number in csv_text
    assert "P-1" in _client(qa).get(url + "recipients.csv").content.decode("utf-8-sig")


def test_analyst_opens_the_adverse_event_they_investigate_without_the_code(lineage, people):
    analyst = _client(people["analyst"])
    url = f"/clinical/adverse-events/{lineage.ae.number}/"
    page = analyst.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and lineage.ae.number in html and "Knee swelling" in html
    assert "P-1" not in html and "patient code shown to physicians" in html
    assert 'name="action" value="investigate"' in html  # they can record the investigation
    listing = analyst.get("/clinical/adverse-events/").content.decode()
    assert lineage.ae.number in listing and "P-1" not in listing
    # ... but not the administrations and patients pages.
    assert analyst.get(f"/clinical/administrations/{lineage.adm[1].number}/").status_code == 403
    assert analyst.get("/clinical/patients/").status_code == 403
    assert "P-1" in _client(people["physician"]).get(url).content.decode()


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_roles_without_need_cannot_open_adverse_events_or_the_clinical_api(lineage, people, role):
    client = _client(people[role])
    assert client.get(f"/clinical/adverse-events/{lineage.ae.number}/").status_code == 403
    assert client.get("/api/v1/clinical/administrations/").status_code == 403


def test_aliquot_page_counts_administrations_for_the_operator(lineage, people):
    url = "/inventory/aliquots/L1-A001/"
    html = _client(people["operator"]).get(url).content.decode()
    assert "P-1" not in html and 'id="administration-count"' in html
    assert "P-1" in _client(people["qa"]).get(url).content.decode()


def test_policy_is_one_permission(people):
    for role, sees in [
        ("qa", True),
        ("physician", True),
        ("auditor", True),
        ("analyst", False),
        ("operator", False),
        ("admin", False),
    ]:
        assert people[role].has_perm("clinical.view_patient_codes") is sees
        assert people[role].has_perm("clinical.view") is sees


def test_trace_api_gives_the_analyst_a_count(lineage, people):
    body = _client(people["analyst"]).get("/api/v1/trace/lot/L1/").json()
    text = str(body)
    assert not any(p in text for p in PATIENTS)
    assert "patient" not in body["nodes"] and body["patient_count"] == 2
    assert all(r["patient"] == "" for r in body["recipients"]) and body["recipients"]
    full = _client(people["qa"]).get("/api/v1/trace/lot/L1/").json()
    assert {n["code"] for n in full["nodes"]["patient"]} == {"P-1", "P-2"} and "patient_count" not in full


def test_recall_api_hides_codes_from_the_analyst(lineage, people, rf_request):
    qa = people["qa"]
    recall = services.recall_lot(
        request=rf_request, actor=qa, lot="L1", reason="Endotoxin OOS", password=qa.raw_password
    )
    url = f"/api/v1/trace/recalls/{recall.number}/"
    assert not any(p in str(_client(people["analyst"]).get(url).json()) for p in PATIENTS)
    assert "P-1" in str(_client(qa).get(url).json())
