"""Dossier pages: login and roles, the whole dossier on one page, forms that show field errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evqms.dossier import demo
from evqms.dossier import models as m
from evqms.testing import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(make_user):
    users = {
        "operator": make_user("operator", "operator"),
        "analyst": make_user("analyst", "qc_analyst"),
        "qa": make_user("qa", "qa_reviewer"),
        "physician": make_user("physician", "physician"),
        "auditor": make_user("auditor", "auditor"),
        "qa2": make_user("qa2", "qa_reviewer"),
    }
    demo.load(users, {n: u.raw_password for n, u in users.items()})
    demo.approve_xeno_free_change(
        users, {n: u.raw_password for n, u in users.items()}
    )  # as the lots demo does
    return users


def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def test_pages_need_login(client):
    r = client.get(reverse("dossier:product-list"))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_product_detail_shows_the_whole_dossier(client, demo_world):
    client.force_login(demo_world["auditor"])
    english(client)
    r = client.get(reverse("dossier:product-detail", args=["ucmsc-sev-oa"]))
    assert r.status_code == 200
    html = r.content.decode()
    for text in [
        "UC-MSC small EVs for knee osteoarthritis",
        "D-0001",
        "MCB-001",
        "WCB-001-01",
        "XF-24-001",
        "HPL-24-07",
        "FBS-23-11",
        "bovine / serum",
        "Process v1",
        "Process v2",
        "Superseded",
        "Specification v1",
        "Modal particle size (mode)",
        "≥ 50 – ≤ 200 nm",
        "&lt; 0.5 EU/mL",
        "particles/µg",
        "JSRM-3-R4",
        "DEFAULT TO CONFIGURE",
        "Transmembrane pressure",
        "0.2 – 1 bar",
    ]:
        assert text in html, text
    # read-only role: no create buttons
    assert reverse("dossier:product-create") not in html
    assert "New process version" not in html


def test_product_list_and_roles(client, demo_world):
    client.force_login(demo_world["operator"])
    r = client.get(reverse("dossier:product-list"))
    assert r.status_code == 200 and b"ucmsc-sev-oa" in r.content
    assert client.get(reverse("dossier:product-create")).status_code == 403
    client.force_login(demo_world["qa"])
    assert client.get(reverse("dossier:product-create")).status_code == 200


def test_product_form_shows_field_errors_in_both_languages(client, demo_world):
    client.force_login(demo_world["qa"])
    data = {
        "code": "ucmsc-sev-oa",
        "name": "Dup",
        "ev_type": "natural",
        "source_cell_type": "uc_msc",
        "origin": "allogeneic",
        "indication_code": "osteoarthritis",
        "indications": "OA",
        "routes": ["iv"],
        "dose_unit": "wombats",
    }
    r = client.post(reverse("dossier:product-create"), data)
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="id_code_errors"' in html and "すでに存在します" in html
    english(client)
    r = client.post(reverse("dossier:product-create"), {**data, "code": "new-one"})
    html = r.content.decode()
    assert 'id="id_dose_unit_errors"' in html and "unknown unit wombats" in html
    r = client.post(reverse("dossier:product-create"), {**data, "code": "new-one", "dose_unit": "particles"})
    assert r.status_code == 302 and m.Product.objects.filter(code="new-one").exists()


def test_attribute_form_names_the_wrong_field(client, demo_world):
    client.force_login(demo_world["analyst"])
    english(client)
    product = m.Product.objects.get(code="ucmsc-sev-oa")
    r = client.post(reverse("dossier:specification-new", args=[product.code]))
    spec = m.Specification.objects.get(product=product, version=2)
    assert r.status_code == 302 and spec.status == "draft" and spec.attributes.count() == 18
    url = reverse("dossier:attribute-add", args=[spec.pk])
    base = {
        "code": "d90",
        "name": "D90",
        "method": "NTA",
        "kind": "quantitative",
        "stage": "release",
        "unit": "nm",
        "lower_inclusive": "on",
        "upper_inclusive": "on",
    }
    r = client.post(url, {**base, "lower": "300", "upper": "100"})
    assert r.status_code == 400 and b'id="id_lower_errors"' in r.content
    r = client.post(url, {**base, "upper": "300", "alert_upper": "400"})
    assert b'id="id_alert_upper_errors"' in r.content and b"outside the acceptance range" in r.content
    r = client.post(
        url, {**base, "kind": "qualitative", "unit": "", "choices": "pos, neg", "acceptable": "maybe"}
    )
    assert b'id="id_acceptable_errors"' in r.content
    r = client.post(url, {**base, "upper": "300"})
    assert r.status_code == 302 and spec.attributes.filter(code="d90", upper=300).exists()
    # the approved v1 cannot be edited through the page either
    v1_attr = m.SpecAttribute.objects.get(specification__version=1, code="endotoxin")
    r = client.post(
        reverse("dossier:attribute-edit", args=[v1_attr.pk]), {**base, "code": "endotoxin", "upper": "1"}
    )
    assert r.status_code == 400 and b"never changed" in r.content


def test_signature_dialog_asks_for_the_password(client, demo_world):
    product = m.Product.objects.get(code="ucmsc-sev-oa")
    client.force_login(demo_world["operator"])
    client.post(reverse("dossier:process-new", args=[product.code]), {"description": "v3"})
    v3 = m.ProcessDefinition.objects.get(product=product, version=3)
    assert v3.steps.count() == m.ProcessDefinition.objects.get(product=product, version=2).steps.count()
    client.force_login(demo_world["qa2"])
    english(client)
    page = client.get(reverse("dossier:process-detail", args=[v3.pk])).content.decode()
    assert 'id="approve-dialog"' in page and 'type="password"' in page
    r = client.post(reverse("dossier:process-approve", args=[v3.pk]), {"sign-password": "wrong"})
    assert r.status_code == 400 and b"password is wrong" in r.content
    v3.refresh_from_db()
    assert v3.status == "draft"
    signed = {"sign-password": demo_world["qa2"].raw_password, "sign-reason": "ok"}
    r = client.post(reverse("dossier:process-approve", args=[v3.pk]), signed)
    assert r.status_code == 400 and b"only under an approved change request" in r.content
    v3.change_request = factories.approved_change_request(kind="process", product_code=product.code)
    v3.save(update_fields=["change_request"])
    r = client.post(reverse("dossier:process-approve", args=[v3.pk]), signed)
    assert r.status_code == 302
    v3.refresh_from_db()
    assert v3.status == "approved"
    assert m.ProcessDefinition.objects.get(product=product, version=2).status == "superseded"
    # the operator cannot open the approval
    client.force_login(demo_world["operator"])
    assert (
        client.post(reverse("dossier:process-approve", args=[v3.pk]), {"sign-password": "x"}).status_code
        == 403
    )


def test_material_lot_decision_page(client, demo_world):
    client.force_login(demo_world["operator"])
    english(client)
    mat = m.Material.objects.get(catalogue_number="FBS-US-500")
    r = client.post(
        reverse("dossier:material-lot-create"),
        {
            "material": mat.pk,
            "lot_number": "FBS-24-01",
            "received_on": "2024-01-01",
            "expiry": "2024-06-01",
            "grade": "research",
            "animal_species": "bovine",
            "animal_tissue": "serum",
        },
    )
    assert r.status_code == 400 and b'id="id_animal_origin_justification_errors"' in r.content
    r = client.post(
        reverse("dossier:material-lot-create"),
        {
            "material": mat.pk,
            "lot_number": "FBS-24-01",
            "received_on": "2024-01-01",
            "expiry": "2024-06-01",
            "grade": "research",
            "animal_species": "bovine",
            "animal_tissue": "serum",
            "animal_origin_justification": "CEP",
        },
    )
    assert r.status_code == 302
    lot = m.MaterialLot.objects.get(lot_number="FBS-24-01")
    client.force_login(demo_world["analyst"])
    r = client.post(
        reverse("dossier:material-lot-decide", args=[lot.pk]), {"decision": "accepted", "reason": "ok"}
    )
    assert r.status_code == 400 and b"expired" in r.content


def test_document_upload_and_approval_pages(client, demo_world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(demo_world["operator"])
    r = client.post(
        reverse("dossier:document-upload"),
        {
            "code": "SOP-010",
            "title": "Aseptic fill",
            "kind": "sop",
            "file": SimpleUploadedFile("fill.txt", b"step 1"),
        },
    )
    assert r.status_code == 302
    doc = m.Document.objects.get(code="SOP-010")
    client.force_login(demo_world["qa"])
    english(client)
    r = client.post(reverse("dossier:document-approve", args=[doc.pk]), {"sign-password": "nope"})
    assert r.status_code == 400 and b"password is wrong" in r.content
    r = client.post(
        reverse("dossier:document-approve", args=[doc.pk]), {"sign-password": demo_world["qa"].raw_password}
    )
    assert r.status_code == 302
    html = client.get(reverse("dossier:product-detail", args=["ucmsc-sev-oa"])).content.decode()
    assert doc.sha256 in html and "Approval" in html
    assert client.get(reverse("dossier:document-download", args=[doc.pk])).getvalue() == b"step 1"


def test_dossier_page_in_japanese(client, demo_world):
    client.force_login(demo_world["qa"])
    html = client.get(reverse("dossier:product-detail", args=["ucmsc-sev-oa"])).content.decode()
    for text in [
        "製造工程の版",
        "規格 第1版",
        "ドナーとセルバンクの系譜",
        "原料",
        "文書",
        "関節内注射",
        "同種",
        "ワーキングセルバンク",
        "承認済",
        "EV出荷規格の初期テンプレートから新しい規格を作成",
    ]:
        assert text in html, text


def test_catalogue_translates_every_message():
    import polib

    from evqms.i18n import LOCALE_DIR

    po = polib.pofile(str(LOCALE_DIR / "ja" / "dossier.po"))
    assert len(po) > 250
    assert not [e.msgid for e in po if not e.msgstr]
    for e in po:  # placeholders survive translation
        import re

        assert sorted(re.findall(r"\{\w+\}|%\(\w+\)s", e.msgid)) == sorted(
            re.findall(r"\{\w+\}|%\(\w+\)s", e.msgstr)
        )
