"""A person reads the landscape page (charts drawn by Chart.js), opens a trial and records a
manual classification, in a real browser, in Japanese then English."""

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
