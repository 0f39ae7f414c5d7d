"""A QA reviewer, in a real browser, links the aseptic-processing SOP to its QMS element and records
and signs the comparability of process v2 on the product's compliance page; bad input and a wrong
password come back on their fields; a new assessment shows both records as evidence of
JSRM-2-R1 / JSRM-2-R2; the sections read in both languages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compliance"))


def _document(world, code, title):
    from evqms.dossier import services as dossier

    doc = dossier.upload_document(
        actor=world.operator,
        code=code,
        kind="sop" if code.startswith("SOP") else "report",
        title=title,
        content=f"{code} {title}\n".encode(),
        original_name=f"{code}.txt",
    )
    return dossier.approve_document(
        request=world.request, actor=world.qa, document=doc, password=world.qa.raw_password
    )


@pytest.mark.django_db(transaction=True)
def test_link_qms_document_and_approve_comparability(
    page, live_server, make_user, rf_request, login, shot, settings, tmp_path
):
    from compliance_helpers import make_world

    from evqms.compliance.models import ComparabilityRecord, QMSElementDocument
    from evqms.testing import factories as f

    settings.MEDIA_ROOT = tmp_path / "files"
    world = make_world(make_user, rf_request)
    world.released_lot()
    sop = _document(world, "SOP-EV-001", "Aseptic processing of EV preparations")
    report = _document(world, "RPT-CMP-001", "Comparability of process v1 and v2")
    v2 = f.process(world.product, version=2)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    login(page, world.qa)
    page.goto(f"{live_server.url}/compliance/ucmsc-sev-oa/")
    with page.expect_navigation():
        page.click("#assess-now")
    qms = page.locator("#qms-documents")
    assert qms.locator("h2").inner_text() == "QMS文書"
    assert "QMS要素に紐付けた文書はまだありません。" in qms.inner_text()
    assert page.locator("#comparability-v2").inner_text().count("承認済みの同等性評価記録なし") == 1
    qms.scroll_into_view_if_needed()
    shot(page, "compliance-records-01-empty-ja")

    # Submitting without an element: the error sits on the element field, nothing is written.
    page.select_option("#id_qms-document", str(sop.pk))
    with page.expect_navigation():
        page.click("#qms-link")
    assert page.locator("#qms-link-form .has-error label[for=id_qms-element]").count() == 1
    assert page.locator("#qms-link-form [role=alert]").inner_text() == "この項目は必須です。"
    assert QMSElementDocument.objects.count() == 0
    page.locator("#qms-link-form").scroll_into_view_if_needed()
    shot(page, "compliance-records-02-link-error")

    page.select_option("#id_qms-element", "aseptic_processing")
    page.fill("#id_qms-review_due", "2099-01-31")
    with page.expect_navigation():
        page.click("#qms-link")
    link = QMSElementDocument.objects.get()
    assert (link.element, link.document_id) == ("aseptic_processing", sop.pk)
    row = page.locator("#qms-aseptic_processing-SOP-EV-001-v1")
    assert "無菌操作SOP" in row.inner_text() and "2099-01-31" in row.inner_text()
    assert page.locator(".messages", has_text="SOP-EV-001 v1").count() == 1

    # Comparability: a wrong password reopens the dialog with the error on the password field.
    page.click("#open-comparability")
    dialog = page.locator("#comparability-dialog")
    assert dialog.locator("#id_cmp-process").input_value() == str(v2.pk)
    dialog.locator("#id_cmp-summary").fill(
        "v2 (ゼノフリー) の3ロットの粒子径, EVマーカー, 相対力価は v1 の範囲内。同等と判断する。"
    )
    dialog.locator("#id_cmp-document").select_option(str(report.pk))
    dialog.locator("#id_cmp-password").fill("wrong-password")
    with page.expect_navigation():
        dialog.locator("#confirm-comparability").click()
    assert page.locator("#comparability-dialog[open]").count() == 1
    box, select = dialog.bounding_box(), dialog.locator("#id_cmp-document").bounding_box()
    assert select["x"] + select["width"] <= box["x"] + box["width"]  # the long label stays inside
    assert page.locator("#comparability-dialog .has-error label[for=id_cmp-password]").count() == 1
    assert ComparabilityRecord.objects.count() == 0
    shot(page, "compliance-records-03-wrong-password")

    dialog.locator("#id_cmp-password").fill(world.qa.raw_password)
    with page.expect_navigation():
        dialog.locator("#confirm-comparability").click()
    record = ComparabilityRecord.objects.get()
    assert record.process == v2 and record.document == report
    assert record.approval_signature.signer == world.qa
    cell = page.locator("#comparability-v2")
    assert "承認済み" in cell.inner_text() and f"CMP-{record.pk}" in cell.inner_text()
    assert page.locator("#open-comparability").count() == 0
    page.locator("#comparability").scroll_into_view_if_needed()
    shot(page, "compliance-records-04-approved-ja")

    # A new assessment cites both records.
    with page.expect_navigation():
        page.click("#assess-now")
    assert page.locator("#item-JSRM-2-R1 .evidence", has_text="SOP-EV-001 v1").count() == 1
    assert page.locator("#item-JSRM-2-R2 .evidence", has_text="RPT-CMP-001 v1").count() == 1
    assert "同等性" not in page.locator("#item-JSRM-2-R2 .next").inner_text()
    with page.expect_navigation():  # the evidence links to its section
        page.click("#item-JSRM-2-R2 .evidence a:has-text('RPT-CMP-001 v1')")
    assert page.url.endswith("#comparability")
    shot(page, "compliance-records-05-assessed")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("#qms-documents h2").inner_text() == "QMS documents"
    assert "Aseptic processing SOP" in page.locator("#qms-aseptic_processing-SOP-EV-001-v1").inner_text()
    assert page.locator("#comparability h2").inner_text() == "Comparability after process changes"
    page.locator("#qms-documents").scroll_into_view_if_needed()
    shot(page, "compliance-records-06-en")
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_the_compliance_page_cites_the_quality_records(page, live_server, make_user, rf_request, login, shot):
    """JSRM-2-R1 cites the EM sample at action level (its deviation closed) and the operator's media
    fill, 2-R2 the cabinet's calibration and the CAPA; each links to its page, in both languages."""
    from compliance_helpers import make_world
    from test_compliance_snapshot_quality import Quality

    world = make_world(make_user, rf_request)
    q = Quality(world)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, world.qa)
    page.goto(f"{live_server.url}/compliance/ucmsc-sev-oa/")
    with page.expect_navigation():
        page.click("#assess-now")
    r1, r2 = page.locator("#item-JSRM-2-R1"), page.locator("#item-JSRM-2-R2")
    assert r1.locator(".evidence a", has_text=f"環境モニタリング検体 {q.excursion.number}").count() == 1
    assert r1.locator(".evidence a", has_text="培地充填試験 MF-T0001").count() == 1
    assert (
        r2.locator(".evidence a", has_text=f"校正 BSC-9 {q.calibration.performed_on.isoformat()}").count()
        == 1
    )
    assert r2.locator(".evidence a", has_text=f"CAPA {q.capa.number}").count() == 1
    assert "出荷ロット 1 件を製造した" in r1.inner_text()
    r1.scroll_into_view_if_needed()
    shot(page, "compliance-quality-records-01-ja")
    with page.expect_navigation():
        r1.locator(".evidence a", has_text=f"環境モニタリング検体 {q.excursion.number}").click()
    assert page.locator("#deviation a", has_text=q.deviation.number).count() == 1
    shot(page, "compliance-quality-records-02-em-sample")
    page.go_back()
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    r2 = page.locator("#item-JSRM-2-R2")
    assert r2.locator(".evidence a", has_text=f"CAPA {q.capa.number}").count() == 1
    assert "Every instrument used on the 1 released lots was in calibration" in r2.inner_text()
    r2.scroll_into_view_if_needed()
    shot(page, "compliance-quality-records-03-en")
    assert errors == []
