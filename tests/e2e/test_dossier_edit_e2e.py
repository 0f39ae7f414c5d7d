"""An operator corrects the demo dossier in the browser: a cell bank (the reason is required first),
a donor's consent date (a future date is refused next to its field), and a material whose lots were
received (identity fields shown fixed, the name corrected). Each correction lands in the audit trail."""

import datetime as dt

import pytest


@pytest.mark.django_db(transaction=True)
def test_correct_bank_donor_and_material(page, live_server, make_user, login, shot):
    from evqms.audit.models import AuditEvent
    from evqms.dossier import demo
    from evqms.dossier.models import CellBank, Donor, Material

    users = {
        "operator": make_user("operator", "operator"),
        "analyst": make_user("analyst", "qc_analyst"),
        "qa": make_user("qa", "qa_reviewer"),
        "physician": make_user("physician", "physician"),
    }
    demo.load(users, {n: u.raw_password for n, u in users.items()})
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
    dossier = f"{live_server.url}/dossier/p/ucmsc-sev-oa/"
    login(page, users["operator"])

    # --- the working cell bank: new location, reason forgotten first
    wcb = CellBank.objects.get(code="WCB-001-01")
    page.goto(dossier)
    with page.expect_navigation():
        page.click(f"#edit-bank-{wcb.pk}")
    assert page.locator("h1").inner_text() == "セルバンク WCB-001-01 の編集"
    assert page.locator("#id_code").is_disabled()
    assert page.locator("#id_location").input_value() == "LN2 tank A, rack 2"
    page.fill("#id_location", "LN2 tank B, rack 4")
    with page.expect_navigation():
        page.click("#submit")
    assert page.locator("#id_reason_errors").count() == 1
    shot(page, "dossier-edit-01-bank-reason-required-ja")
    page.fill("#id_reason", "Moved during the tank A maintenance (record 2024-117)")
    with page.expect_navigation():
        page.click("#submit")
    assert page.url.startswith(dossier)
    assert "セルバンクを更新しました。" in page.locator(".messages").inner_text()
    assert "LN2 tank B, rack 4" in page.locator("table.lineage").inner_text()
    wcb.refresh_from_db()
    assert wcb.location == "LN2 tank B, rack 4" and wcb.parent.code == "MCB-001"
    ev = AuditEvent.objects.get(action="cell_bank.update", object_id=str(wcb.pk))
    assert ev.reason == "Moved during the tank A maintenance (record 2024-117)"
    assert page.url.endswith("#lineage")
    shot(page, "dossier-edit-02-bank-saved-ja")

    # --- the donor, in English: a future consent date is refused next to the field
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    donor = Donor.objects.get(code="D-0001")
    with page.expect_navigation():
        page.click(f"#edit-donor-{donor.pk}")
    assert page.locator("h1").inner_text() == "Edit donor D-0001"
    page.fill("#id_consent_on", "2099-01-01")
    page.fill("#id_reason", "Date taken from the signed form")
    with page.expect_navigation():
        page.click("#submit")
    assert "the date is in the future" in page.locator("#id_consent_on_errors").inner_text()
    shot(page, "dossier-edit-03-donor-future-date-en")
    corrected = donor.consent_on - dt.timedelta(days=1)
    page.fill("#id_consent_on", corrected.isoformat())
    with page.expect_navigation():
        page.click("#submit")
    donor.refresh_from_db()
    assert donor.consent_on == corrected and donor.eligibility == "eligible"

    # --- a received material: supplier, catalogue number, kind and culture use are fixed
    material = Material.objects.get(name="Human platelet lysate")
    with page.expect_navigation():
        page.click(f"#edit-material-{material.pk}")
    for field in ("supplier", "catalogue_number", "kind", "used_in_culture"):
        assert page.locator(f"#id_{field}").is_disabled(), field
    page.fill("#id_name", "Human platelet lysate (pooled, pathogen-reduced)")
    page.fill("#id_reason", "Full name as on the certificate of analysis")
    shot(page, "dossier-edit-04-material-fixed-fields-en")
    with page.expect_navigation():
        page.click("#submit")
    assert "Human platelet lysate (pooled, pathogen-reduced)" in page.locator("table.materials").inner_text()
    material.refresh_from_db()
    assert material.name == "Human platelet lysate (pooled, pathogen-reduced)"
    assert page.url.endswith("#material-list")
    shot(page, "dossier-edit-05-material-saved-en")
    assert not errors, errors
