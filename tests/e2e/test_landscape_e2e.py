"""A person reads the landscape page (charts drawn by Chart.js), opens a trial and records a
manual classification, in a real browser, in Japanese then English."""

import csv
import io

import pytest


@pytest.mark.django_db(transaction=True)
def test_landscape_charts_trial_detail_and_override(page, live_server, make_user, login, shot):
    from evqms.audit.models import AuditEvent
    from evqms.landscape import demo

    qa = make_user("qa_e2e", "qa_reviewer")
    demo.load({"qa": qa})

    login(page, qa)
    page.goto(f"{live_server.url}/landscape/?as_of=2024-06-01")
    assert page.locator("h1").inner_text() == "EV の動向"
    assert page.locator("#trials-total").inner_text() == "28"
    # Chart.js drew the three charts (each canvas has a chart instance with its data)
    drawn = page.evaluate(
        "() => ['chart-phases', 'chart-years', 'chart-pubmed'].map(id => {"
        " const c = Chart.getChart(id); return c ? c.data.datasets.length : 0; })"
    )
    assert drawn == [3, 3, 2]
    totals = page.evaluate(
        "() => Chart.getChart('chart-phases').data.datasets.map(d => d.data.reduce((a, b) => a + b, 0))"
    )
    assert totals == [16, 8, 4]
    shot(page, "landscape-01-index-ja")

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("h1").inner_text() == "EV landscape"
    shot(page, "landscape-02-index-en")

    with page.expect_navigation():
        page.click("#late-phase >> text=NCT99000013")
    assert "NCT99000013" in page.locator("h1").inner_text()
    page.select_option("#id_category", "unrelated")
    page.fill("#id_effective_from", "2024-06-01")
    # a reason is required: the browser does not send the form without one
    assert page.locator("#id_reason").get_attribute("required") is not None
    page.fill("#id_reason", "Checked the registry: the vesicles are a delivery excipient (e2e).")
    with page.expect_navigation():
        page.click("#override-form button[type=submit]")
    assert "recorded in the audit trail" in page.locator(".messages").inner_text()
    page.goto(f"{live_server.url}/landscape/trials/NCT99000013/?as_of=2024-06-01")
    assert page.locator("#category").inner_text() == "unrelated"
    shot(page, "landscape-03-trial-override")
    assert (
        AuditEvent.objects.filter(
            action="landscape.trial_override", actor=qa, object_id="NCT99000013"
        ).count()
        == 1
    )

    page.goto(f"{live_server.url}/landscape/?as_of=2024-06-01")
    assert page.locator("#trials-unrelated").inner_text() == "5"
    assert page.locator("#late-phase >> text=NCT99000013").count() == 0
    page.goto(f"{live_server.url}/landscape/clinics/?as_of=2024-06-01")
    assert page.locator("#clinic-results tbody tr").count() == 10
    shot(page, "landscape-04-clinics-en")

    # The PubMed chart: one logarithmic axis (the broader query finds 9.7x more records)
    page.goto(f"{live_server.url}/landscape/?as_of=2024-06-01")
    scales = page.evaluate("() => Object.keys(Chart.getChart('chart-pubmed').options.scales)")
    assert sorted(scales) == ["x", "y"]
    assert page.evaluate("() => Chart.getChart('chart-pubmed').options.scales.y.type") == "logarithmic"
    page.locator("#literature-section").scroll_into_view_if_needed()
    shot(page, "landscape-05-pubmed-one-axis-en")

    # A page that only offers "エクソソーム療法" is not confirmed; a reviewer reads its sentence and decides
    page.goto(f"{live_server.url}/landscape/clinics/?as_of=2024-06-01&decision=not_confirmed")
    row = page.locator("#clinic-results tbody tr", has_text="minato-clinic.example.jp")
    assert (
        "療法" in row.inner_text() and "does not say how exosomes are put into the body" in row.inner_text()
    )
    with page.expect_navigation():
        row.locator("a", has_text="Details").click()
    assert "エクソソーム療法" in page.locator("#sentence").inner_text()
    page.select_option("#id_decision", "included")
    page.fill("#id_reason", "The clinic's price list on this page names the injection (e2e).")
    with page.expect_navigation():
        page.click("#review-form button[type=submit]")
    assert "recorded in the audit trail" in page.locator(".messages").inner_text()
    assert "included" in page.locator("#effective").inner_text()
    shot(page, "landscape-06-clinic-review-en")
    with page.expect_navigation():
        page.select_option("select[name=language]", "ja")
    shot(page, "landscape-07-clinic-review-ja")
    page.goto(f"{live_server.url}/landscape/clinics/?as_of=2024-06-01")
    values = page.locator("#clinic-summary .value").all_inner_texts()
    assert values[2:] == ["5", "4"]  # the reviewer's decision counts: 4 pages by the rule + 1 reviewed
    shot(page, "landscape-08-clinics-reviewed-ja")

    # The landscape page lists the reviewed page among the confirming ones, with the reviewer's reason;
    # the CSV export and the API give the same figures as the page
    page.goto(f"{live_server.url}/landscape/?as_of=2024-06-01")
    included = page.locator("#clinic-included tbody tr", has_text="minato-clinic.example.jp")
    assert "price list on this page names the injection" in included.inner_text()
    assert page.locator("#clinic-summary .value").all_inner_texts()[2:] == ["5", "4"]
    page.locator("#clinics-section").scroll_into_view_if_needed()
    shot(page, "landscape-09-index-reviewed-ja")
    api = page.request.get(f"{live_server.url}/api/v1/landscape/clinics/?as_of=2024-06-01").json()
    assert (api["summary"]["included"], api["summary"]["institutions_included"]) == (5, 4)
    assert len(api["institutions"]) == 4
    csv_text = page.request.get(f"{live_server.url}/landscape/clinics.csv?as_of=2024-06-01").text()
    decisions = [row["decision"] for row in csv.DictReader(io.StringIO(csv_text))]
    assert decisions.count("included") == 5
