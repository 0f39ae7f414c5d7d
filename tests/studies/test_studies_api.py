"""REST API of studies: NTA exports (list, detail, upload through the service), potency runs with
their stored relative potency and CI, stability studies with the shelf life, in-vivo records."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from evqms.analytics.potency import read_potency_csv, usp_relative_potency
from evqms.audit.models import AuditEvent
from evqms.lots.models import QCResult
from evqms.studies import services
from evqms.studies.models import NTAImport
from evqms.testing import factories as f

pytestmark = pytest.mark.django_db

POTENCY_PLATE = Path(__file__).resolve().parents[1] / "fixtures" / "potency" / "plate_two_lots.csv"
STABILITY = {  # lot -> [(month, value)]: three batches, five time points each
    "STA-1": [(0, "100.1"), (3, "99.6"), (6, "99.0"), (9, "98.7"), (12, "98.1")],
    "STA-2": [(0, "100.4"), (3, "99.2"), (6, "98.3"), (9, "97.1"), (12, "96.2")],
    "STA-3": [(0, "99.8"), (3, "99.5"), (6, "99.1"), (9, "98.8"), (12, "98.6")],
}


def client_for(user=None):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        c.force_authenticate(user=user)
    return c


def _export(nta_synth, **kw):
    videos = [
        nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=110, gsd=1.4, total=t) for t in (3e10, 3.1e10)
    ]
    return nta_synth.nanosight_csv(videos, dilution=100.0, **kw)


def _nta(world, nta_synth, lot=None):
    return services.attach_nta_export(
        actor=world.analyst, lot=lot or world.lot, filename="ExperimentSummary.csv", data=_export(nta_synth)
    )


def _assay(world, **kw):
    args = dict(
        actor=world.analyst,
        product=world.product,
        name="IL-10 induction in macrophages",
        mechanism="anti-inflammatory macrophage polarisation",
        indication="Knee osteoarthritis",
        reference_lot=world.ref,
        acceptance_low="70",
        acceptance_high="130",
        dose_unit="ng/mL",
        qc_attribute_code="potency",
    )
    args.update(kw)
    return services.create_potency_assay(**args)


def _run(world, assay, lot=None):
    return services.record_potency_run(
        actor=world.analyst,
        assay=assay,
        test_lot=lot or world.lot,
        filename="plate.csv",
        data=POTENCY_PLATE.read_bytes(),
        dose_column="conc_ng_ml",
        response_column="signal",
        curve_column="lot",
    )


# --- access ---------------------------------------------------------------------------------

ENDPOINTS = [
    "/api/v1/studies/nta/",
    "/api/v1/studies/potency-assays/",
    "/api/v1/studies/potency-runs/",
    "/api/v1/studies/stability/",
    "/api/v1/studies/biodistribution/",
    "/api/v1/studies/dose-response/",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_lists_need_a_login_and_a_role(world, url):
    anonymous = client_for().get(url)
    assert anonymous.status_code in (401, 403)  # session auth first: DRF answers 403
    assert "credentials" in anonymous.json()["detail"]
    bad_token = APIClient(HTTP_AUTHORIZATION="Token 0123456789abcdef", HTTP_ACCEPT_LANGUAGE="en").get(url)
    assert bad_token.status_code in (401, 403) and "token" in bad_token.json()["detail"].lower()
    no_role = client_for(f.user("norole")).get(url)  # an account with no role
    assert no_role.status_code == 403 and no_role.json()["error"]
    for user in (world.operator, world.analyst, world.qa):
        r = client_for(user).get(url)
        assert r.status_code == 200 and r.json() == []


@pytest.mark.parametrize(
    "url, message",
    [
        ("/api/v1/studies/nta/999/", "unknown NTA export 999"),
        ("/api/v1/studies/potency-assays/999/", "unknown potency assay 999"),
        ("/api/v1/studies/potency-runs/999/", "unknown potency run 999"),
        ("/api/v1/studies/stability/999/", "unknown stability study 999"),
        ("/api/v1/studies/biodistribution/999/", "unknown biodistribution study 999"),
        ("/api/v1/studies/dose-response/999/", "unknown dose-response study 999"),
    ],
)
def test_unknown_id_is_404(world, url, message):
    r = client_for(world.operator).get(url)
    assert r.status_code == 404 and r.json()["detail"] == message
    assert client_for(world.operator).get(url.replace("999", "abc")).status_code == 404
    assert client_for().get(url).status_code in (401, 403)


def test_not_found_reads_in_japanese(world):
    c = APIClient(HTTP_ACCEPT_LANGUAGE="ja")
    c.force_authenticate(user=world.operator)
    r = c.get("/api/v1/studies/potency-runs/12345/")
    assert r.status_code == 404 and r.json()["detail"] == "力価試験の実施 12345 が見つかりません"


# --- NTA ------------------------------------------------------------------------------------


def test_nta_list_detail_and_filters(world, nta_synth):
    nta = _nta(world, nta_synth)
    other_product = f.product("other-ev", name="Other EVs")
    other_lot = f.lot("OTH-001", status="qc", prod=other_product)
    other = _nta(world, nta_synth, lot=other_lot)
    c = client_for(world.operator)
    assert [x["id"] for x in c.get("/api/v1/studies/nta/").json()] == [other.pk, nta.pk]  # newest first
    rows = c.get("/api/v1/studies/nta/?product=ucmsc-sev-oa").json()
    assert [x["id"] for x in rows] == [nta.pk]
    row = rows[0]
    assert row["lot"] == "UCEV-T-001" and row["product"] == "ucmsc-sev-oa"
    assert row["sha256"] == nta.sha256 and row["instrument"] == nta.parsed["instrument"]
    assert row["concentration_per_ml"] == pytest.approx(nta.parsed["concentration_per_ml"])
    assert row["size_nm"]["mode"] == pytest.approx(nta.parsed["size_nm"]["mode"])
    assert row["filled"] == nta.filled and row["imported_by"] == "analyst1"
    assert [x["id"] for x in c.get("/api/v1/studies/nta/?lot=OTH-001").json()] == [other.pk]
    assert c.get("/api/v1/studies/nta/?lot=OTH-001&product=ucmsc-sev-oa").json() == []
    assert c.get("/api/v1/studies/nta/?lot=NOPE").json() == []

    detail = c.get(f"/api/v1/studies/nta/{nta.pk}/").json()
    assert detail["parsed"] == nta.parsed
    by_code = {r["attribute"]: r for r in detail["qc_results"]}
    assert set(by_code) == set(nta.filled)
    for result in nta.qc_results.all():
        assert Decimal(by_code[result.attribute.code]["value"]) == result.value
        assert by_code[result.attribute.code]["verdict"] == result.verdict
    assert detail["comparison"][0]["label"] == "Concentration (particles/mL)"
    assert all(row["agrees"] for row in detail["comparison"] if row["stated"] is not None)


def test_nta_upload_through_the_service(world, nta_synth):
    url = "/api/v1/studies/nta/"
    data = _export(nta_synth)
    r = client_for(world.analyst).post(
        url, {"lot": world.lot.number, "file": SimpleUploadedFile("ExperimentSummary.csv", data)}
    )
    assert r.status_code == 201, r.content
    nta = NTAImport.objects.get()
    body = r.json()
    assert body["id"] == nta.pk and body["lot"] == world.lot.number and len(body["qc_results"]) == 4
    assert QCResult.objects.filter(lot=world.lot).count() == 4
    assert AuditEvent.objects.filter(action="nta.attach", object_id=str(nta.pk)).count() == 1


def test_nta_upload_names_the_attributes(world, nta_synth):
    r = client_for(world.analyst).post(
        "/api/v1/studies/nta/",
        {
            "lot": world.lot.number,
            "file": SimpleUploadedFile("ExperimentSummary.csv", _export(nta_synth)),
            "size_attributes.mean_size": "mean",
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["filled"] == {"particle_concentration": "concentration", "mean_size": "mean"}


def test_nta_upload_errors(world, nta_synth):
    url = "/api/v1/studies/nta/"
    data = _export(nta_synth)

    def post(user, **fields):
        body = {"lot": world.lot.number, "file": SimpleUploadedFile("x.csv", data), **fields}
        return client_for(user).post(url, body)

    # role: an operator reads but may not record
    r = post(world.operator)
    assert r.status_code == 403 and r.json()["error"]
    assert client_for().post(url, {"lot": world.lot.number}).status_code in (401, 403)
    # bad input
    r = post(world.analyst, lot="NOPE")
    assert r.status_code == 400 and r.json() == {"error": "unknown lot NOPE", "where": "lot"}
    r = client_for(world.analyst).post(url, {"lot": world.lot.number})
    assert r.status_code == 400 and r.json()["where"] == "file"
    r = post(world.analyst, concentration_attribute="no_such_code")
    assert r.status_code == 400 and "no attribute no_such_code" in r.json()["error"]
    # warnings: 409 with the list and the comparison, nothing written until confirmed
    warned = _export(nta_synth, overrides={("Mode", "Average"): "150.0"})
    r = client_for(world.analyst).post(
        url, {"lot": world.lot.number, "file": SimpleUploadedFile("w.csv", warned)}
    )
    assert r.status_code == 409
    body = r.json()
    assert body["warnings"] and "warnings" in body["error"]
    assert any(row["agrees"] is False for row in body["comparison"])
    assert not NTAImport.objects.exists() and not QCResult.objects.exists()
    r = client_for(world.analyst).post(
        url,
        {"lot": world.lot.number, "file": SimpleUploadedFile("w.csv", warned), "confirm_warnings": "true"},
    )
    assert r.status_code == 201 and r.json()["warnings_confirmed"] is True
    # a released lot takes no more QC results: a business rule, 409
    r = post(world.analyst, lot=world.ref.number)
    assert r.status_code == 409 and "cannot record a QC result" in r.json()["error"]
    assert NTAImport.objects.count() == 1


# --- potency --------------------------------------------------------------------------------


def test_potency_runs_as_stored_with_filters(world):
    assay = _assay(world)
    run = _run(world, assay)
    lot2 = f.lot("UCEV-T-002", status="qc", prod=world.product)
    run2 = _run(world, assay, lot=lot2)
    c = client_for(world.operator)
    assert {x["id"] for x in c.get("/api/v1/studies/potency-runs/").json()} == {run.pk, run2.pk}
    rows = c.get("/api/v1/studies/potency-runs/?lot=UCEV-T-001").json()
    assert [x["id"] for x in rows] == [run.pk]
    row = rows[0]
    # the figures as stored, which are USP parallel-line relative potency from analytics
    plate = read_potency_csv(POTENCY_PLATE, dose="conc_ng_ml", response="signal", curve="lot")
    direct = usp_relative_potency(plate.doses, plate.responses, plate.curves, "REF", "LOT-0425", model="LL4")
    assert Decimal(row["relative_potency_pct"]) == run.relative_potency_pct
    assert float(row["relative_potency_pct"]) == pytest.approx(100 * direct.potency["estimate"], abs=1e-4)
    assert Decimal(row["ci_low_pct"]) == run.ci_low_pct and Decimal(row["ci_high_pct"]) == run.ci_high_pct
    assert float(row["ci_low_pct"]) == pytest.approx(100 * direct.log_ci[0], abs=1e-4)
    assert float(row["ci_high_pct"]) == pytest.approx(100 * direct.log_ci[1], abs=1e-4)
    assert row["parallelism_p"] == pytest.approx(direct.parallelism["p"])
    assert row["within_acceptance"] is run.within_acceptance and row["parallel"] is run.parallel
    assert row["assay"] == assay.name and row["assay_id"] == assay.pk and row["reference_lot"] == "REF-001"
    assert row["acceptance_low"] == "70.00" and row["model"] == "LL4" and row["sha256"] == run.sha256
    assert c.get(f"/api/v1/studies/potency-runs/?assay={assay.pk}&product=ucmsc-sev-oa").json()[0]["id"] in (
        run.pk,
        run2.pk,
    )
    assert c.get(f"/api/v1/studies/potency-runs/?assay={assay.pk + 1}").json() == []
    assert c.get("/api/v1/studies/potency-runs/?product=other").json() == []
    r = c.get("/api/v1/studies/potency-runs/?assay=x")
    assert r.status_code == 400 and r.json()["where"] == "assay"
    detail = c.get(f"/api/v1/studies/potency-runs/{run.pk}/").json()
    assert detail["fitted"]["reference_label"] == "REF" and detail["fitted"]["test_label"] == "LOT-0425"
    assert detail["columns"]["dose"] == "conc_ng_ml"
    assays = c.get("/api/v1/studies/potency-assays/?product=ucmsc-sev-oa").json()
    assert [a["id"] for a in assays] == [assay.pk] and assays[0]["reference_lot"] == "REF-001"
    assert c.get("/api/v1/studies/potency-assays/?product=other").json() == []
    assert c.get(f"/api/v1/studies/potency-assays/{assay.pk}/").json()["mechanism"] == assay.mechanism


# --- stability and in-vivo records ------------------------------------------------------------


def test_stability_study_with_results_and_shelf_life(world, make_user):
    from evqms.analytics import stability

    lots = [f.lot(n, status="released", prod=world.product) for n in STABILITY]
    study = services.create_stability_study(
        actor=world.qa, product=world.product, name="Potency at -80 C", attribute_code="potency",
        condition="-80 °C", lots=lots, lower="95", unit="%",
    )  # fmt: skip
    c = client_for(make_user("doc", "physician"))  # every role reads
    partial = c.get(f"/api/v1/studies/stability/{study.pk}/").json()
    assert partial["shelf_life"] is None and partial["shelf_life_problem"] == "no results yet"
    for lot in lots:
        for month, value in STABILITY[lot.number]:
            services.add_stability_result(
                actor=world.analyst, study=study, lot=lot, time_months=month, value=value
            )
    rows = c.get("/api/v1/studies/stability/?lot=STA-2").json()
    assert [x["id"] for x in rows] == [study.pk] and rows[0]["lots"] == ["STA-1", "STA-2", "STA-3"]
    assert rows[0]["lower"] == "95.0000000000" and rows[0]["upper"] is None
    assert c.get("/api/v1/studies/stability/?lot=UCEV-T-001").json() == []
    assert c.get("/api/v1/studies/stability/?product=other").json() == []
    detail = c.get(f"/api/v1/studies/stability/{study.pk}/").json()
    assert len(detail["results"]) == 15 and detail["shelf_life_problem"] is None
    csv = "lot,month,value\n" + "".join(f"{n},{m},{v}\n" for n, rows in STABILITY.items() for m, v in rows)
    direct = stability.analyze_table(
        csv.encode(), "s.csv", time="month", value="value", batch="lot", lower=95.0
    )
    assert detail["shelf_life"]["model"] == direct["model"]
    assert detail["shelf_life"]["shelf_life"] == pytest.approx(direct["shelf_life"], rel=1e-12)
    assert detail["shelf_life"]["worst_batch"] == direct["worst_batch"]


def test_in_vivo_records(world):
    bio = services.create_biodistribution_study(
        actor=world.qa, product=world.product, title="DiR-labelled EVs in MIA rat knee", species="Rat (MIA model)",
        route="intra-articular", label_method="DiR near-infrared imaging", second_method="qPCR of human Alu",
        target="Knee joint synovium and cartilage", time_points="1 h, 24 h, 7 d", fraction_in_target_pct="32.5",
        threshold_pct="20",
    )  # fmt: skip
    dose = services.create_dose_response_study(
        actor=world.qa, product=world.product, title="Cartilage repair vs dose", kind="in_vivo",
        unit="particles/knee", dose_low="1e8", dose_high="1e10", effective_low="1e9",
    )  # fmt: skip
    c = client_for(world.operator)
    rows = c.get("/api/v1/studies/biodistribution/?product=ucmsc-sev-oa").json()
    assert [r["id"] for r in rows] == [bio.pk]
    assert rows[0]["fraction_in_target_pct"] == "32.500" and rows[0]["meets_threshold"] is True
    assert c.get("/api/v1/studies/biodistribution/?product=other").json() == []
    assert c.get(f"/api/v1/studies/biodistribution/{bio.pk}/").json()["second_method"] == "qPCR of human Alu"
    rows = c.get("/api/v1/studies/dose-response/").json()
    assert [r["id"] for r in rows] == [dose.pk]
    body = c.get(f"/api/v1/studies/dose-response/{dose.pk}/").json()
    assert Decimal(body["effective_low"]) == Decimal("1e9") and body["effective_high"] is None
    assert Decimal(body["dose_high"]) == Decimal("1e10") and body["kind"] == "in_vivo"


def test_schema_lists_the_studies_endpoints(world):
    schema = client_for(world.operator).get("/api/v1/schema/?format=json").json()
    for url in ENDPOINTS:
        assert "get" in schema["paths"][url] and "get" in schema["paths"][url + "{id}/"]
    assert "post" in schema["paths"]["/api/v1/studies/nta/"]
    assert "post" not in schema["paths"]["/api/v1/studies/potency-runs/"]


def test_nta_upload_takes_the_dilution_the_file_lacks(world, nta_synth):
    videos = [nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=110, gsd=1.4, total=2e8)]
    bare = nta_synth.nanosight_csv(videos, dilution=None)
    url = "/api/v1/studies/nta/"
    r = client_for(world.analyst).post(
        url, {"lot": world.lot.number, "file": SimpleUploadedFile("d.csv", bare)}
    )
    assert r.status_code == 400 and r.json()["where"] == "dilution"
    r = client_for(world.analyst).post(
        url, {"lot": world.lot.number, "file": SimpleUploadedFile("d.csv", bare), "dilution": "20"}
    )
    assert r.status_code == 201
    conc = QCResult.objects.get(lot=world.lot, attribute__code="particle_concentration")
    assert float(conc.value_in_spec_unit) == pytest.approx(sum(videos[0]) * 20, rel=1e-6)
