"""A QC analyst attaches an NTA export, records a potency run, and reads a trend and a shelf life."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from evqms.testing.world import passing_controls

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SERIES = ["95", "108", "110", "96", "94", "107", "109", "97", "95", "108", "160", "96"]


def _nanosight_export() -> bytes:
    sys.path.insert(0, str(FIXTURES / "nta"))
    try:
        import nta_synth
    finally:
        sys.path.remove(str(FIXTURES / "nta"))
    videos = [nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=m, gsd=1.4, total=t)
              for m, t in ((105, 3.0e10), (112, 3.2e10), (108, 3.1e10))]  # fmt: skip
    return nta_synth.nanosight_csv(videos, dilution=100.0)


def _world(make_user):
    from evqms.dossier.models import SpecAttribute
    from evqms.lots import services as lot_services
    from evqms.studies import services
    from evqms.testing import factories as f

    analyst = make_user("analyst1", "qc_analyst")
    qa = make_user("qa1", "qa_reviewer")
    product = f.product()
    spec = f.specification(product)
    SpecAttribute.objects.create(specification=spec, order=10, stage="release", kind="quantitative", code="potency",
                                 name="Relative potency", method="Cell assay", unit="%", lower=Decimal("70"),
                                 upper=Decimal("130"), decimal_places=0)  # fmt: skip
    ref = f.lot("REF-001", status="released", prod=product, manufactured_on=dt.date(2023, 12, 1))
    lot = f.lot("UCEV-E2E-01", status="qc", prod=product, manufactured_on=dt.date(2025, 6, 1))
    attr = spec.attributes.get(code="modal_size")
    for i, v in enumerate(SERIES):
        t = f.lot(
            f"TR-{i:02d}",
            status="qc",
            prod=product,
            manufactured_on=dt.date(2024, 1, 1) + dt.timedelta(days=7 * i),
        )
        lot_services.record_qc_result(
            actor=analyst,
            lot=t,
            attribute=attr,
            value=v,
            unit="nm",
            tested_at=timezone.now(),
            controls=passing_controls(attr),
        )
        t.status = "released"
        t.save(update_fields=["status"])
    assay = services.create_potency_assay(
        actor=qa, product=product, name="IL-10 induction", mechanism="macrophage polarisation",
        indication="Knee osteoarthritis", reference_lot=ref, acceptance_low="70", acceptance_high="130",
        dose_unit="ng/mL", qc_attribute_code="potency",
    )  # fmt: skip
    batches = [f.lot(n, status="released", prod=product) for n in ("ST-1", "ST-2", "ST-3")]
    study = services.create_stability_study(actor=qa, product=product, name="Potency at -80 °C",
                                            attribute_code="potency", attribute_name="Relative potency", unit="%",
                                            condition="-80 °C", lots=batches, lower="95")  # fmt: skip
    slopes = {"ST-1": -0.16, "ST-2": -0.35, "ST-3": -0.1}
    for b in batches:
        for m in (0, 3, 6, 9, 12):
            value = 100.2 + slopes[b.number] * m + (0.15 if m % 2 else -0.1)
            services.add_stability_result(
                actor=analyst, study=study, lot=b, time_months=m, value=f"{value:.2f}"
            )
    return analyst, lot, assay, study, product


@pytest.mark.django_db(transaction=True)
def test_studies_in_the_browser(page, live_server, make_user, login, shot, tmp_path):
    analyst, lot, assay, study, product = _world(make_user)
    login(page, analyst)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    # NTA export -> QC results, with the size distribution and stated vs recomputed figures (Japanese)
    page.goto(f"{live_server.url}/studies/nta/lot/{lot.number}/")
    assert page.locator("h1").inner_text().startswith("NTAエクスポートを添付")
    export = tmp_path / "ExperimentSummary.csv"
    export.write_bytes(_nanosight_export())
    page.set_input_files("#id_file", str(export))
    with page.expect_navigation():
        page.locator("#nta-form button[type=submit]").click()
    assert "/studies/nta/" in page.url
    assert page.locator("#nta-compare .badge.ok").count() == 7
    assert page.locator("#nta-results tbody tr").count() == 2  # particle_concentration, modal_size
    page.wait_for_function("document.querySelector('#size-chart').width > 0")
    shot(page, "studies-01-nta-detail-ja")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")

    # potency run against the reference lot
    page.goto(f"{live_server.url}/studies/potency/{assay.pk}/")
    page.select_option("#id_test_lot", label=lot.number)
    page.set_input_files("#id_file", str(FIXTURES / "potency" / "plate_two_lots.csv"))
    page.fill("#id_dose_column", "conc_ng_ml")
    page.fill("#id_response_column", "signal")
    page.fill("#id_curve_column", "lot")
    page.check("#id_record_qc")
    with page.expect_navigation():
        page.locator("#run-form button[type=submit]").click()
    page.wait_for_function("document.querySelector('#dose-chart').height > 100")
    summary = page.locator("#run-summary").inner_text()
    assert "Relative potency" in summary and "QC result recorded" in summary
    shot(page, "studies-02-potency-run")

    # trend: the 11th lot breaks WE1 and is the only one flagged
    page.goto(f"{live_server.url}/studies/trend/{product.code}/modal_size/")
    assert "out of statistical control" in page.locator("#trend-status").inner_text()
    assert page.locator("#trend-points tr.flagged").count() == 1
    assert "TR-10" in page.locator("#trend-points tr.flagged").inner_text()
    shot(page, "studies-03-trend")

    # stability: shelf life with the worst batch
    page.goto(f"{live_server.url}/studies/stability/{study.pk}/")
    text = page.locator("#shelf-life").inner_text()
    assert "Shelf life:" in text and "months" in text
    shot(page, "studies-04-stability")
    assert errors == []
