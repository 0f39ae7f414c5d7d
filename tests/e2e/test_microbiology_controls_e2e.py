"""Sterility run controls and method suitability in a real browser: QA approves a method suitability
record with the password (Japanese); the analyst enters a sterility result whose positive control was
not detected (English): the result is kept as an invalid run with its reason, and the release gate
names it; the lot page in Japanese says the same."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evqms.lots.models import MethodSuitability, QCResult
from evqms.testing.world import passing_controls

LOT = "UCEV-E2E-MIC"


def _english(page):
    with page.expect_navigation():
        page.evaluate(
            "() => { const f = document.getElementById('language-form');"
            " f.querySelector('[name=language]').value = 'en'; f.submit(); }"
        )


@pytest.mark.django_db(transaction=True)
def test_suitability_approval_and_an_invalid_sterility_run(page, live_server, login, make_user, shot):
    from evqms.lots import services
    from evqms.lots.services import microbiology
    from evqms.testing import factories as f

    analyst, analyst2 = make_user("qc-mic", "qc_analyst"), make_user("qc2-mic", "qc_analyst")
    qa = make_user("qa-mic", "qa_reviewer")
    product = f.product()
    spec = f.specification(product)
    MethodSuitability.objects.filter(
        test_type="sterility"
    ).delete()  # the sterility method is not yet shown suitable
    record = microbiology.record_method_suitability(
        actor=analyst,
        product=product,
        test_type="sterility",
        method="JP 4.06",
        method_version="SOP-QC-020 v2",
        performed_on=timezone.localdate() - dt.timedelta(days=3),
        outcome="suitable",
        notes="Membrane filtration, 6 strains <= 100 CFU: growth comparable to the positive control",
        report=("sterility-mst.txt", b"method suitability test report"),
    )
    lot = f.lot(LOT, status="qc", prod=product, manufactured_on=timezone.localdate() - dt.timedelta(days=20))
    for code, (value, unit, text) in {
        "particle_concentration": ("5e10", "particles/mL", ""),
        "modal_size": ("120", "nm", ""),
        "cd63": (None, "", "positive"),
        "endotoxin": ("0.1", "EU/mL", ""),
    }.items():
        attribute = spec.attributes.get(code=code)
        r = services.record_qc_result(
            actor=analyst, lot=lot, attribute=attribute, value=value, unit=unit, text_value=text,
            tested_at=timezone.now(), controls=passing_controls(attribute),
        )  # fmt: skip
        services.verify_qc_result(actor=analyst2, result=r)

    # --- QA approves the record with the password (Japanese) --------------------------------
    login(page, qa)
    page.goto(f"{live_server.url}/lots/suitability/?status=pending")
    expect(page.locator("#suitability-table")).to_contain_text(record.number)
    with page.expect_navigation():
        page.click(f"text={record.number}")
    expect(page.locator("#suitability-status")).to_have_text("QA 承認待ち")
    page.fill("#id_password", qa.raw_password)
    page.fill("#id_reason", "適合性試験の報告書を確認")
    with page.expect_navigation():
        page.click("#approve-suitability")
    expect(page.locator("#suitability-status")).to_have_text("承認済み")
    shot(page, "microbiology-01-suitability-approved-ja")
    assert MethodSuitability.objects.get(pk=record.pk).status == "approved"

    # --- the analyst enters a sterility run whose positive control failed (English) ----------
    page.context.clear_cookies()
    login(page, analyst)
    page.goto(f"{live_server.url}/lots/{LOT}/")
    _english(page)
    sterility = spec.attributes.get(code="sterility")
    prefix = f"#id_a{sterility.pk}-"
    page.select_option(prefix + "text_value", "no growth")
    page.fill(prefix + "tested_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.select_option(prefix + "positive_control", "not detected")
    page.select_option(prefix + "negative_control", "not detected")
    page.locator("#attr-sterility button[type=submit]", has_text="Record result").click()
    row = page.locator("#attr-sterility tr.result")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("invalid run")
    expect(row).to_contain_text("the positive control was not detected")
    expect(row).to_contain_text("positive control: not detected · negative control: not detected")
    result = QCResult.objects.get(lot__number=LOT, attribute__code="sterility")
    assert result.status == "invalid_run"
    gate = page.locator("#release-gate li[data-code=invalid_run]")
    expect(gate).to_have_text(
        "sterility: the run is invalid (the positive control was not detected): retest it"
    )
    expect(page.locator(f"#r{result.pk}-retest, #attr-sterility details.retest")).to_have_count(1)
    shot(page, "microbiology-02-invalid-run-en")

    # --- QA sees the same refusal in Japanese -------------------------------------------------
    page.context.clear_cookies()
    login(page, qa)
    page.goto(f"{live_server.url}/lots/{LOT}/")
    expect(page.locator("#release-gate li[data-code=invalid_run]")).to_contain_text("試験が無効です")
    expect(page.locator("#attr-sterility tr.result")).to_contain_text("無効な試験")
    shot(page, "microbiology-03-invalid-run-ja")
