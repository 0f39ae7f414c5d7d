"""The coded indication on the product form and in the API (issue 18 item 2): a select from the
indication vocabulary (guidance/vocab/indications.yaml) with the free text as its detail."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from evqms.dossier.models import Product

pytestmark = pytest.mark.django_db

FORM = {
    "code": "kl-oa",
    "name": "UC-MSC sEV for knee OA",
    "ev_type": "natural",
    "source_cell_type": "uc_msc",
    "origin": "allogeneic",
    "indication_code": "knee_osteoarthritis",
    "indications": "Kellgren-Lawrence II-III",
    "routes": ["intra_articular"],
    "dose_unit": "particles",
}


def test_product_form_offers_the_vocabulary_in_the_page_language(client, make_user):
    client.force_login(make_user("qa-ic", "qa_reviewer"))
    html = client.get(reverse("dossier:product-create")).content.decode()
    assert 'name="indication_code"' in html
    assert '<option value="knee_osteoarthritis">変形性膝関節症</option>' in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(reverse("dossier:product-create")).content.decode()
    assert '<option value="knee_osteoarthritis">Knee osteoarthritis</option>' in html


def test_product_created_with_its_code_and_detail(client, make_user):
    client.force_login(make_user("qa-ic", "qa_reviewer"))
    r = client.post(reverse("dossier:product-create"), FORM)
    assert r.status_code == 302, r.content.decode()[:2000]
    product = Product.objects.get(code="kl-oa")
    assert (product.indication_code, product.indications) == (
        "knee_osteoarthritis",
        "Kellgren-Lawrence II-III",
    )


def test_product_form_refuses_a_missing_or_unknown_code(client, make_user):
    client.force_login(make_user("qa-ic", "qa_reviewer"))
    for code in ("", "knee"):
        r = client.post(reverse("dossier:product-create"), {**FORM, "indication_code": code})
        assert r.status_code == 400 and 'id="id_indication_code_errors"' in r.content.decode()
    assert not Product.objects.filter(code="kl-oa").exists()


def test_api_gives_the_indication_code(make_user):
    from evqms.testing import factories as f

    product = f.product("api-ic", indications="Kellgren-Lawrence II-III")
    Product.objects.filter(pk=product.pk).update(indication_code="knee_osteoarthritis")
    api = APIClient()
    api.force_authenticate(make_user("op-ic", "operator"))
    body = api.get("/api/v1/products/api-ic/").json()
    assert (body["indication_code"], body["indications"]) == (
        "knee_osteoarthritis",
        "Kellgren-Lawrence II-III",
    )
