"""A censored QC result in a real browser: the analyst enters endotoxin "< 0.05" (below the limit of
quantification) on the lot page in Japanese, sees it judged a pass against "< 0.5 EU/mL" and
printed "< 0.05 EU/mL" on the page and on the certificate of analysis; then "<" nonsense is refused
on the field; then the same page and certificate in English."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evqms.lots.models import QCResult

LOT = "UCEV-CEN-001"


def _coa_text(page, button: str, artifacts: Path, name: str) -> str:
    from pypdf import PdfReader

    with page.expect_download(timeout=60000) as info:  # the PDF is made on a busy machine too
        page.click(button, timeout=60000)
    data = Path(info.value.path()).read_bytes()
    (artifacts / name).write_bytes(data)  # kept beside the screenshots, for a person to read
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.django_db(transaction=True)
def test_a_result_below_the_loq_on_the_lot_page_and_the_coa(page, live_server, make_user, login, shot):
    from evqms.testing.world import World

    world = World.build(make_user)
    lot = world.in_qc(LOT)
    world.test_all(lot, skip={"endotoxin"}, verify=False)
    endotoxin = world.attr("endotoxin")
    prefix = f"#id_a{endotoxin.pk}-"
    login(page, world.analyst)
    page.goto(f"{live_server.url}/lots/{LOT}/")

    # nonsense first: refused on the field, nothing stored
    page.fill(prefix + "value", "<LOQ")
    page.fill(prefix + "tested_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.locator("#attr-endotoxin button[type=submit]", has_text="結果を記録").click()
    expect(page.locator(f"{prefix}value_errors")).to_contain_text("限界値を数値で")
    shot(page, "qc-censored-01-refused-ja")
    assert not QCResult.objects.filter(lot=lot, attribute=endotoxin).exists()

    page.fill(prefix + "value", "< 0.05")
    page.fill(prefix + "tested_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    # the run's controls, which every endotoxin result needs: negative control clean, spike recovered
    page.select_option(prefix + "negative_control", "not detected")
    page.fill(prefix + "positive_recovery", "95")
    page.locator("#attr-endotoxin button[type=submit]", has_text="結果を記録").click()
    row = page.locator("#attr-endotoxin tr.result")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("< 0.05 EU/mL")
    result = QCResult.objects.get(lot=lot, attribute=endotoxin)
    assert (result.censor, str(result.value.normalize()), result.verdict) == ("<", "0.05", "pass")
    shot(page, "qc-censored-02-lot-ja")

    out = Path(__file__).parent / "artifacts"
    text = _coa_text(page, "#coa-ja", out, "qc-censored-coa-ja.pdf")
    assert "試験成績書" in text and "< 0.05 EU/mL" in text and "定量限界" in text

    # English: the same result, the same sign
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.goto(f"{live_server.url}/lots/{LOT}/")
    expect(page.locator("#attr-endotoxin tr.result")).to_contain_text("< 0.05 EU/mL")
    expect(page.locator("#attr-endotoxin")).to_contain_text("below or above the limit of quantification")
    shot(page, "qc-censored-03-lot-en")
    text = _coa_text(page, "#coa-en", out, "qc-censored-coa-en.pdf")
    assert "Certificate of analysis" in text and "< 0.05 EU/mL" in text
    assert "limit of quantification" in text  # the note saying what the sign means
