"""A QA reviewer creates a product in the browser (a field error first), then reads the demo dossier
and approves a new specification version through the signature dialog."""

import pytest


@pytest.mark.django_db(transaction=True)
def test_create_product_and_read_the_dossier(page, live_server, make_user, login, shot):
    from evqms.dossier import demo
    from evqms.dossier.models import Product, Specification

    users = {
        "operator": make_user("operator", "operator"),
        "analyst": make_user("analyst", "qc_analyst"),
        "qa": make_user("qa", "qa_reviewer"),
        "physician": make_user("physician", "physician"),
    }
    demo.load(users, {n: u.raw_password for n, u in users.items()})
    demo.approve_xeno_free_change(
        users, {n: u.raw_password for n, u in users.items()}
    )  # as the lots demo does
    errors = []
    # a refused form answers 400 on purpose; the browser logs that status, nothing else may fail
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error"
            and "status of 400" not in msg.text
            and "favicon" not in (msg.location or {}).get("url", "")
            else None
        ),
    )

    login(page, users["qa"])
    page.goto(f"{live_server.url}/dossier/")
    assert page.locator("h1").inner_text() == "製品"
    with page.expect_navigation():
        page.click("#new-product")
    page.fill("#id_code", "adsc-ev-skin")
    page.fill("#id_name", "AD-MSC EVs for skin ageing")
    page.select_option("#id_source_cell_type", "ad_msc")
    page.select_option("#id_origin", "autologous")
    page.select_option("#id_indication_code", "skin_ageing")  # the coded indication; the text is its detail
    page.fill("#id_indications", "Photo-ageing of the skin")
    page.check("input[name=routes][value=intradermal]")
    page.fill("#id_dose_unit", "wombats")
    with page.expect_navigation():
        page.click("#submit")
    assert "不明な単位です: wombats" in page.locator("#id_dose_unit_errors").inner_text()
    shot(page, "dossier-01-product-field-error-ja")

    page.fill("#id_dose_unit", "particles")
    page.select_option("#id_responsible_physician", str(users["physician"].pk))
    with page.expect_navigation():
        page.click("#submit")
    assert page.locator("h1").inner_text().startswith("AD-MSC EVs for skin ageing")
    assert Product.objects.get(code="adsc-ev-skin").responsible_physician == users["physician"]

    # a new specification from the template, in the new product's dossier
    with page.expect_navigation():
        page.click("#spec-from-template")
    assert page.locator("table.attributes tbody tr").count() == 18
    shot(page, "dossier-02-new-spec-draft")

    # the demo dossier, in English
    page.goto(f"{live_server.url}/dossier/p/ucmsc-sev-oa/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    body = page.locator("main").inner_text()
    for text in (
        "WCB-001-01",
        "FBS-23-11",
        "bovine / serum",
        "Process v2",
        "Superseded",
        "Specification v1",
        "JSRM-3-R1",
        "< 0.5 EU/mL",
    ):
        assert text in body, text
    shot(page, "dossier-03-demo-dossier-en")

    # approve the new product's specification: the analyst is not the author here, QA is
    spec = Specification.objects.get(product__code="adsc-ev-skin")
    page.context.clear_cookies()
    login(page, make_user("qa2", "qa_reviewer"))
    page.goto(f"{live_server.url}/dossier/specification/{spec.pk}/")
    page.click("#open-approve")
    page.fill("#id_sign-password", "wrong")
    with page.expect_navigation():
        page.click("#confirm-approve")
    assert page.locator("#approve-dialog[open]").count() == 1
    assert page.locator("#approve-dialog .errorlist").count() == 1
    shot(page, "dossier-04-approve-wrong-password")
    page.fill("#id_sign-password", "correct-horse-battery-9")
    with page.expect_navigation():
        page.click("#confirm-approve")
    spec.refresh_from_db()
    assert spec.status == "approved"
    assert page.locator(".signatures").count() == 1
    shot(page, "dossier-05-spec-approved")
    assert not errors, errors
