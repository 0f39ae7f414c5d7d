"""The studies pages: upload an NTA export, see a potency run, a trend with flags, a shelf life; SVG plots."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from test_studies_potency import POTENCY_PLATE, _assay  # noqa: F401
from test_studies_trend_stability import SERIES, STABILITY, _lots_with_results

from evqms.lots.models import QCResult
from evqms.studies import services
from evqms.studies.models import NTAImport


def _login(client, user, lang="en"):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": lang, "next": "/"})
    return client


def _export(nta_synth, **kw):
    videos = [
        nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=110, gsd=1.4, total=t) for t in (3e10, 3.1e10)
    ]
    return nta_synth.nanosight_csv(videos, dilution=100.0, **kw)


def test_nta_upload_page_records_and_shows_the_comparison(client, world, nta_synth):
    _login(client, world.analyst)
    url = reverse("studies:nta-upload", args=[world.lot.number])
    page = client.get(url)
    assert page.status_code == 200 and b"modal_size" in page.content
    response = client.post(url, {"file": SimpleUploadedFile("ExperimentSummary.csv", _export(nta_synth))})
    nta = NTAImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "studies:nta-detail", args=[nta.pk]
    )
    detail = client.get(response["Location"]).content.decode()
    assert "Stated vs recomputed" in detail and nta.sha256 in detail
    assert detail.count('class="badge ok">agrees') == 7  # concentration and six size figures
    svg = client.get(reverse("studies:nta-svg", args=[nta.pk]))
    assert svg["Content-Type"].startswith("image/svg+xml") and b"<svg" in svg.content


def test_nta_upload_with_warnings_asks_for_confirmation(client, world, nta_synth):
    _login(client, world.analyst)
    url = reverse("studies:nta-upload", args=[world.lot.number])
    data = _export(nta_synth, overrides={("Mode", "Average"): "150.0"})
    page = client.post(url, {"file": SimpleUploadedFile("x.csv", data)})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="nta-warnings"' in text and 'class="badge bad">differs' in text
    assert not QCResult.objects.exists()
    client.post(url, {"file": SimpleUploadedFile("x.csv", data), "confirm_warnings": "on"})
    assert QCResult.objects.filter(lot=world.lot).count() == 4


def test_nta_no_particles_shows_the_error(client, world, nta_synth):
    _login(client, world.analyst)
    url = reverse("studies:nta-upload", args=[world.lot.number])
    data = nta_synth.nanosight_csv([[0.0] * 1000])
    page = client.post(url, {"file": SimpleUploadedFile("empty.csv", data)})
    assert "no tracked particles" in page.content.decode()
    assert not NTAImport.objects.exists()


def test_nta_upload_asks_for_the_dilution_the_file_lacks(client, world, nta_synth):
    _login(client, world.analyst)
    videos = [nta_synth.lognormal_histogram(nta_synth.NS_BINS, median=110, gsd=1.4, total=2e8)]
    bare = nta_synth.nanosight_csv(videos, dilution=None, time_captured="15:28:16  01/04/2021")
    preview = client.post(
        reverse("studies:nta-preview", args=[world.lot.number]), {"file": SimpleUploadedFile("d.csv", bare)}
    ).content.decode()
    assert 'id="nta-no-dilution"' in preview and re.search(
        r'<input type="number" name="dilution"[^>]* required', preview
    )
    assert "2021-04-01 15:28" in preview and 'value="2021-04-01T15:28"' in preview
    # the file's own dilution is shown, and not asked for
    preview = client.post(
        reverse("studies:nta-preview", args=[world.lot.number]),
        {"file": SimpleUploadedFile("a.csv", _export(nta_synth))},
    ).content.decode()
    assert re.search(r'id="nta-file-dilution">100<', preview) and 'name="dilution" id=' not in preview
    url = reverse("studies:nta-upload", args=[world.lot.number])
    page = client.post(url, {"file": SimpleUploadedFile("d.csv", bare)}).content.decode()
    row = page[page.index('id="row-dilution"') :][:1500]
    assert "records no dilution" in row and 'id="nta-no-dilution"' in page
    assert not NTAImport.objects.exists()
    response = client.post(url, {"file": SimpleUploadedFile("d.csv", bare), "dilution": "20"})
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "entered by the analyst: the file records none" in detail
    assert "the file&#x27;s capture time" in detail or "the file's capture time" in detail
    conc = QCResult.objects.get(lot=world.lot, attribute__code="particle_concentration")
    assert float(conc.value_in_spec_unit) == pytest.approx(sum(videos[0]) * 20, rel=1e-6)


def test_lot_page_links_the_nta_upload(client, world, nta_synth):
    _login(client, world.analyst)
    page = client.get(reverse("lots:lot-detail", args=[world.lot.number])).content.decode()
    assert f'href="{reverse("studies:nta-upload", args=[world.lot.number])}"' in page
    _login(client, world.operator)
    page = client.get(reverse("lots:lot-detail", args=[world.lot.number])).content.decode()
    assert 'id="nta-upload-link"' not in page


def test_operator_reads_but_may_not_record(client, world, nta_synth):
    _login(client, world.operator)
    assert client.get(reverse("studies:index")).status_code == 200
    url = reverse("studies:nta-upload", args=[world.lot.number])
    assert client.post(url, {"file": SimpleUploadedFile("x.csv", _export(nta_synth))}).status_code == 403
    assert client.get(reverse("studies:assay-create")).status_code == 403


def test_potency_pages(client, world):
    assay = _assay(world)
    _login(client, world.analyst)
    response = client.post(reverse("studies:assay-detail", args=[assay.pk]), {
        "test_lot": world.lot.pk, "file": SimpleUploadedFile("plate.csv", POTENCY_PLATE.read_bytes()),
        "dose_column": "conc_ng_ml", "response_column": "signal", "curve_column": "lot", "record_qc": "on",
    })  # fmt: skip
    run = assay.runs.get()
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert f"{run.relative_potency_pct:.1f} %" in page
    assert 'id="dose-data"' in page
    assert client.get(reverse("studies:run-svg", args=[run.pk])).content.startswith(b"<?xml")


def test_trend_page_flags_the_rule_breaking_lot(client, world):
    _lots_with_results(world, SERIES)
    _login(client, world.qa)
    page = client.get(reverse("studies:trend", args=[world.product.code, "modal_size"])).content.decode()
    rows = re.findall(r'<tr( class="flagged")?><td>(\d+)</td><td>(TR-\d+)', page)
    flagged = [lot for cls, _i, lot in rows if cls]
    assert flagged == ["TR-10"]
    assert "out of statistical control" in page and ">WE1</span>" in page
    assert '<span class="badge quarantine">Quarantine</span>' in page  # the status label, not its code
    assert (
        b"<svg" in client.get(reverse("studies:trend-svg", args=[world.product.code, "modal_size"])).content
    )


@pytest.mark.parametrize(("lang", "shown"), [("ja", "不合格"), ("en", "Rejected")])
def test_trend_chart_names_a_marked_lot_status_in_the_page_language(client, world, lang, shown):
    """The chart's axis label of a rejected lot says its status as the table beside it does (the
    stored code 'rejected' was English on the Japanese page)."""
    lots = _lots_with_results(world, SERIES, status="released")
    lots[3].status = "rejected"
    lots[3].save(update_fields=["status"])
    _login(client, world.qa, lang)
    response = client.get(reverse("studies:trend", args=[world.product.code, "modal_size"]))
    marked = response.context["chart_data"]["marked"]
    assert marked[3] == shown and marked[2] == ""


def test_stability_page_gives_the_shelf_life(client, world):
    from evqms.analytics import stability
    from evqms.testing import factories as f

    lots = [f.lot(n, status="released", prod=world.product) for n in STABILITY]
    study = services.create_stability_study(
        actor=world.qa,
        product=world.product,
        name="S",
        attribute_code="potency",
        condition="-80 C",
        lots=lots,
        lower="95",
        unit="%",
    )
    _login(client, world.analyst)
    url = reverse("studies:stability-detail", args=[study.pk])
    for lot in lots:
        for month, value in STABILITY[lot.number]:
            assert client.post(url, {"lot": lot.pk, "time_months": month, "value": value}).status_code == 302
    csv = "lot,month,value\n" + "".join(f"{n},{m},{v}\n" for n, rows in STABILITY.items() for m, v in rows)
    direct = stability.analyze_table(
        csv.encode(), "s.csv", time="month", value="value", batch="lot", lower=95.0
    )
    page = client.get(url).content.decode()
    assert f"Shelf life: {direct['shelf_life']:.1f} months" in page
    assert "worst batch: <strong>ST-2</strong>" in page
    assert b"<svg" in client.get(reverse("studies:stability-svg", args=[study.pk])).content


def test_japanese_pages(client, world):
    _login(client, world.qa, lang="ja")
    page = client.get(reverse("studies:index")).content.decode()
    assert "安定性試験" in page and "力価試験" in page


@pytest.mark.parametrize("name", ["biodistribution-create", "dose-response-create", "stability-create"])
def test_record_forms_render(client, world, name):
    _login(client, world.qa)
    assert client.get(reverse(f"studies:{name}")).status_code == 200
