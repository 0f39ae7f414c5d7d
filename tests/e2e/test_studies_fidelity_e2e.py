"""In the browser: the NTA upload asks for the dilution a file lacks (and shows the file's capture
time), and the trend page draws an individuals and moving-range chart with rejected and recalled
lots marked; Japanese and English screenshots."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from evqms.testing.world import passing_controls

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SERIES = ["95", "108", "110", "96", "94", "107", "109", "97", "95", "108",
          "160", "96", "109", "107", "94", "96", "108", "110", "95", "97"]  # fmt: skip


def _bare_export() -> bytes:
    sys.path.insert(0, str(FIXTURES / "nta"))
    try:
        import nta_synth
    finally:
        sys.path.remove(str(FIXTURES / "nta"))
    videos = [nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=m, gsd=1.4, total=t)
              for m, t in ((105, 3.0e8), (112, 3.2e8))]  # fmt: skip
    return nta_synth.nanosight_csv(videos, dilution=None, time_captured="15:28:16  01/04/2025")


def _world(make_user):
    from evqms.lots import services as lot_services
    from evqms.testing import factories as f

    analyst = make_user("analyst1", "qc_analyst")
    product = f.product()
    spec = f.specification(product)
    lot = f.lot("UCEV-E2E-01", status="qc", prod=product, manufactured_on=dt.date(2025, 3, 20))
    attr = spec.attributes.get(code="modal_size")
    for i, v in enumerate(SERIES):
        t = f.lot(f"TR-{i:02d}", status="qc", prod=product,
                  manufactured_on=dt.date(2024, 1, 1) + dt.timedelta(days=7 * i))  # fmt: skip
        lot_services.record_qc_result(
            actor=analyst,
            lot=t,
            attribute=attr,
            value=v,
            unit="nm",
            tested_at=timezone.now(),
            controls=passing_controls(attr),
        )
        t.status = {3: "rejected", 7: "recalled"}.get(i, "released")
        t.save(update_fields=["status"])
    return analyst, lot, product


@pytest.mark.django_db(transaction=True)
def test_nta_dilution_and_imr_trend_in_the_browser(page, live_server, make_user, login, shot, tmp_path):
    from evqms.lots.models import QCResult

    analyst, lot, product = _world(make_user)
    login(page, analyst)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    # the lot page links the upload from its QC section
    page.goto(f"{live_server.url}/lots/{lot.number}/")
    page.locator("#nta-upload-link").click()
    page.wait_for_url(f"**/studies/nta/lot/{lot.number}/")
    page.wait_for_selector("#id_file")

    # choosing a file without a dilution: the form shows the capture time and asks for the dilution
    export = tmp_path / "ExperimentSummary.csv"
    export.write_bytes(_bare_export())
    page.set_input_files("#id_file", str(export))
    page.wait_for_selector("#nta-no-dilution")
    assert page.locator("#id_dilution").get_attribute("required") is not None
    assert page.locator("#id_tested_at").input_value() == "2025-04-01T15:28"
    assert "2025-04-01 15:28" in page.locator("#nta-captured").inner_text()
    shot(page, "studies-fidelity-01-nta-dilution-ja")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.goto(f"{live_server.url}/studies/nta/lot/{lot.number}/")
    page.set_input_files("#id_file", str(export))
    page.wait_for_selector("#nta-no-dilution")
    assert "enter the dilution" in page.locator("#nta-file-summary").inner_text()
    shot(page, "studies-fidelity-02-nta-dilution-en")
    page.fill("#id_dilution", "20")
    with page.expect_navigation():
        page.locator("#nta-form button[type=submit]").click()
    assert "/studies/nta/" in page.url and "/lot/" not in page.url
    conc = QCResult.objects.get(lot=lot, attribute__code="particle_concentration")
    assert float(conc.value_in_spec_unit) == pytest.approx((3.0e8 + 3.2e8) / 2 * 20, rel=1e-3)

    # the trend: I-MR chart, one value per lot, rejected and recalled lots shown and marked
    page.goto(f"{live_server.url}/studies/trend/{product.code}/modal_size/")
    page.wait_for_function(
        "document.querySelector('#mr-chart') && document.querySelector('#mr-chart').height > 0"
    )
    status = page.locator("#trend-status").inner_text()
    assert "I-MR" in status and "out of statistical control" in status
    assert "TR-10" in page.locator("#trend-points tr.flagged").inner_text()
    rows = page.locator("#trend-points tbody tr")
    assert rows.count() == 20
    assert "Rejected" in rows.nth(3).inner_text() and "not used for the limits" in rows.nth(3).inner_text()
    shot(page, "studies-fidelity-03-trend-imr-en")
    with page.expect_navigation():
        page.select_option("select[name=language]", "ja")
    page.goto(f"{live_server.url}/studies/trend/{product.code}/modal_size/")
    page.wait_for_function("document.querySelector('#mr-chart').height > 0")
    assert "I-MR" in page.locator("#trend-status").inner_text()
    shot(page, "studies-fidelity-04-trend-imr-ja")
    assert errors == []
