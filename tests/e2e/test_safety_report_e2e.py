"""In a real browser: a physician opens a serious adverse event, downloads its report (Japanese and
English PDF, and the E2B(R3) export), puts the event's lot and a sibling from the same cell bank on
hold in one signed step, and sees the held lots from the event's page."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from evqms.testing import factories as f

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


def _keep_pdf(data: bytes, name: str) -> None:
    """The PDF and a picture of its first page next to the screenshots, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(data)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", "-", str(ARTIFACTS / name)],
            input=data,
            check=True,
        )


def _world():
    from evqms.clinical import services as clinical
    from evqms.inventory import services as inventory
    from evqms.lots.models import MaterialUsage

    operator = f.user("sr-e2e-operator", "operator")
    physician = f.user("sr-e2e-reporter", "physician")
    mcb = f.cell_bank("MCB-SRE", kind="MCB", donor_obj=f.donor("D-SRE"))
    wcb = f.cell_bank("WCB-SRE", kind="WCB", parent=mcb)
    other_bank = f.cell_bank("MCB-SRE-2", kind="MCB", donor_obj=f.donor("D-SRE-2"))
    product = f.product("sre-product", name="UC-MSC sEV (knee)")
    given = f.lot("SRE-01", status="released", prod=product, bank=wcb)
    sibling = f.lot("SRE-02", status="released", prod=product, bank=wcb)
    by_material = f.lot("SRE-03", status="released", prod=product, bank=other_bank)
    unrelated = f.lot("SRE-04", status="released", prod=product, bank=other_bank)
    hpl = f.material_lot("Human platelet lysate", "HPL-SRE", kind="supplement", is_biological=True)
    for lot in (given, by_material):
        MaterialUsage.objects.create(
            lot=lot, material_lot=hpl, quantity=1, unit="L", recorded_by=operator, recorded_at=timezone.now()
        )
    for lot in (given, sibling, by_material, unrelated):
        inventory.create_aliquots(actor=operator, lot=lot, count=2, volume_ml="1.0", particle_count="2e10")
    clinical.register_patient(
        actor=physician,
        code="PT-SRE-1",
        clinic_identifier="chart-sre-1",
        birth_year=1970,
        sex="male",
        consented_on=dt.date(2024, 1, 1),
    )
    when = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    adm = clinical.record_administration(
        actor=physician,
        patient="PT-SRE-1",
        aliquots=["SRE-01-A001"],
        administered_at=when,
        route="intra_articular",
        site="右膝",
        body_weight_kg="70",
    )
    return clinical.record_adverse_event(
        actor=physician,
        patient="PT-SRE-1",
        administration=adm.number,
        onset=when + dt.timedelta(hours=18),
        description="右膝の化膿性関節炎、発熱 38.9℃",
        ctcae_term="Joint infection",
        ctcae_grade=3,
        causality="probable",
        seriousness_criteria=["hospitalisation"],
        expectedness="unexpected",
        learned_on=timezone.localdate() - dt.timedelta(days=1),
        outcome="recovering",
    )


@pytest.mark.django_db(transaction=True)
def test_physician_downloads_the_report_and_holds_the_lot_and_a_sibling(
    page, live_server, make_user, login, shot
):
    from evqms.lots.models import LotHold
    from evqms.trace.models import Hold

    ae = _world()
    physician = make_user("sr-e2e-doctor", "physician")
    login(page, physician)
    page.goto(f"{live_server.url}/clinical/adverse-events/{ae.number}/")
    assert page.locator("#ae-report-downloads").count() == 1
    shot(page, "safety-01-event-ja")

    with page.expect_download() as info:
        page.click("#report-pdf-ja")
    ja = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename.endswith(f"-{ae.number}-ja.pdf")
    text = _pdf_text(ja)
    for expected in (
        "重篤な有害事象報告書",
        "PT-SRE-1",
        "SRE-01",
        "WCB-SRE",
        "入院又は入院期間の延長",
        "JST",
    ):
        assert expected in text, expected
    _keep_pdf(ja, "safety-02-report-ja")

    with page.expect_download() as info:
        page.click("#report-pdf-en")
    en = Path(info.value.path()).read_bytes()
    text = _pdf_text(en)
    for expected in ("Seriousadverseeventreport", "Unexpected", "Probable", "SRE-01", "Notsubmitted"):
        assert expected in text, expected
    _keep_pdf(en, "safety-03-report-en")

    with page.expect_download() as info:
        page.click("#report-e2b")
    case = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert case["elements"]["D.1"] == "PT-SRE-1" and case["elements"]["D.5"] == "1"
    assert case["elements"]["G.k"][0]["G.k.4.r"][0]["G.k.4.r.7"] == "SRE-01"

    with page.expect_navigation():
        page.click("#hold-from-event")
    assert page.locator("#lot-SRE-01").is_checked()
    assert not page.locator("#lot-SRE-02").is_checked()
    assert page.locator("#lot-SRE-03").count() == 1  # a sibling through the material lot
    assert page.locator("#lot-SRE-04").count() == 0  # neither bank nor material shared
    page.check("#lot-SRE-02")
    page.fill("#id_reason", "重篤な感染症：同じ WCB のロットも無菌性を確認するまで保留")
    page.fill("#id_password", "wrong-password")
    with page.expect_navigation():
        page.locator("#event-hold-form button[type=submit]").click()
    assert page.locator("#event-hold-form .errorlist").count() >= 1
    assert not Hold.objects.exists()
    assert page.locator("#lot-SRE-02").is_checked()  # the choice survives the refusal
    page.fill("#id_reason", "重篤な感染症：同じ WCB のロットも無菌性を確認するまで保留")
    page.fill("#id_password", physician.raw_password)
    shot(page, "safety-04-hold-form-ja")
    with page.expect_navigation():
        page.locator("#event-hold-form button[type=submit]").click()
    hold = Hold.objects.get()
    assert f"/trace/holds/{hold.number}/" in page.url
    assert page.locator("#held-lots tbody tr").count() == 2
    assert ae.number in page.locator("#hold-event").inner_text()
    shot(page, "safety-05-hold-placed-ja")
    assert set(LotHold.objects.filter(source=hold.number).values_list("lot__number", flat=True)) == {
        "SRE-01",
        "SRE-02",
    }

    page.goto(f"{live_server.url}/clinical/adverse-events/{ae.number}/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    shot(page, "safety-06-event-en")
    with page.expect_navigation():
        page.click("#event-holds")
    listing = page.locator("#event-holds").inner_text()
    assert hold.number in listing and "SRE-01" in listing and "SRE-02" in listing
    shot(page, "safety-07-holds-from-event-en")
    with page.expect_navigation():
        page.click("#new-event-hold")
    assert hold.number in page.locator("#event-lots").inner_text()  # the lot shows the hold it is under
    shot(page, "safety-08-hold-form-en")
