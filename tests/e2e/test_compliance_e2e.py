"""A QA reviewer and the responsible physician use the compliance page in a real browser:
assess, build and approve the risk register from the starter hazards, see what changed, sign the
physician's attestation, and read the page in both languages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compliance"))


@pytest.mark.django_db(transaction=True)
def test_compliance_page_register_and_attestation(page, live_server, make_user, rf_request, login, shot):
    from compliance_helpers import make_world

    from evqms.compliance.models import Assessment, Attestation, RiskRegister

    world = make_world(make_user, rf_request)
    world.released_lot()
    errors = []
    # Script errors only: the refused signature (400) and a missing favicon are HTTP statuses, not bugs.
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    login(page, world.qa)
    page.goto(f"{live_server.url}/compliance/")
    assert page.locator("h1").inner_text() == "適合性"
    assert page.locator("#products", has_text="ucmsc-sev-oa").count() == 1
    shot(page, "compliance-01-index-ja")

    with page.expect_navigation():
        page.click("text=ucmsc-sev-oa")
    with page.expect_navigation():
        page.click("#assess-now")
    assert Assessment.objects.count() == 1
    item = page.locator("#item-JSRM-1-R1")
    assert item.locator(".badge").inner_text() == "不適合"
    assert "リスク登録簿" in item.inner_text()
    assert page.locator("#item-JSRM-3-R1 .badge").inner_text() == "適合"
    assert page.locator("#part-scores tbody tr").count() == 4
    shot(page, "compliance-02-product-ja")

    # The risk register: start from the starter hazards, then approve with a signature.
    with page.expect_navigation():
        page.click("text=リスク登録簿 >> nth=0")
    with page.expect_navigation():
        page.click("#register-create")
    assert page.locator("#risk-items tbody tr").count() == 20
    page.click("#open-approve")
    page.fill("#id_approve-password", "wrong-password")
    with page.expect_navigation():
        page.click("#confirm-approve")
    assert page.locator("#approve-dialog[open] [role=alert]").count() == 1
    shot(page, "compliance-03-approve-refused")
    page.fill("#id_approve-password", world.qa.raw_password)
    with page.expect_navigation():
        page.click("#confirm-approve")
    assert RiskRegister.objects.get().status == "approved"
    assert page.locator("#register-status").inner_text() == "承認済み"
    shot(page, "compliance-04-register-approved")

    # Back on the compliance page, a new assessment shows what changed.
    page.goto(f"{live_server.url}/compliance/ucmsc-sev-oa/")
    with page.expect_navigation():
        page.click("#assess-now")
    assert page.locator("#changed-items", has_text="JSRM-1-R1").count() == 1
    assert page.locator("#item-JSRM-1-R1 .badge").inner_text() == "適合"
    shot(page, "compliance-05-what-changed")

    # The responsible physician signs the attestation for JSRM-1-SC.
    page.context.clear_cookies()
    login(page, world.physician)
    page.goto(f"{live_server.url}/compliance/ucmsc-sev-oa/")
    page.click("#item-JSRM-1-SC .open-attest")
    dialog = page.locator("#attest-dialog")
    assert dialog.locator("select[name=item_id]").input_value() == "JSRM-1-SC"
    dialog.locator("textarea[name=statement]").fill(
        "品質とリスクプロファイルを理解し, 患者の安全を確保します。"
    )
    dialog.locator("input[name=password]").fill(world.physician.raw_password)
    shot(page, "compliance-06-attestation-dialog")
    with page.expect_navigation():
        dialog.locator("#confirm-attest").click()
    assert Attestation.objects.get().cites == ["risk_register:RR-ucmsc-sev-oa"]
    with page.expect_navigation():
        page.click("#assess-now")
    assert page.locator("#item-JSRM-1-SC .badge").inner_text() == "適合"

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("h1").inner_text() == "Compliance: ucmsc-sev-oa"
    assert page.locator("#item-JSRM-1-SC .badge").inner_text() == "met"
    assert page.locator("#attestations .manifestation", has_text="Dr1").count() == 1
    shot(page, "compliance-07-product-en")
    response = page.request.get(f"{live_server.url}/compliance/ucmsc-sev-oa/report.pdf?lang=ja")
    assert response.ok and response.body()[:5] == b"%PDF-"
    assert errors == []
