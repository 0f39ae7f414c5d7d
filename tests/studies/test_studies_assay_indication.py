"""The potency assay form and API carry the coded indication the assay links to the product by
(issue 18 item 2, JSRM-3-R4)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from evqms.studies.models import PotencyAssay


def _form(world, **kw):
    data = {
        "product": world.product.pk,
        "name": "IL-10 induction",
        "mechanism": "macrophage polarisation",
        "indication_code": "knee_osteoarthritis",
        "indication": "Knee OA (synovitis)",
        "reference_lot": world.ref.pk,
        "model": "LL4",
        "dose_unit": "ng/mL",
        "acceptance_low": "70",
        "acceptance_high": "130",
        "qc_attribute_code": "potency",
    }
    data.update(kw)
    return data


def test_assay_form_stores_the_chosen_code(client, world):
    client.force_login(world.analyst)
    page = client.get(reverse("studies:assay-create")).content.decode()
    assert '<option value="knee_osteoarthritis">変形性膝関節症</option>' in page
    r = client.post(reverse("studies:assay-create"), _form(world))
    assert r.status_code == 302, r.content.decode()[:2000]
    assay = PotencyAssay.objects.get()
    assert (assay.indication_code, assay.indication) == ("knee_osteoarthritis", "Knee OA (synovitis)")
    api = APIClient()
    api.force_authenticate(world.analyst)
    (row,) = api.get(f"/api/v1/studies/potency-assays/?product={world.product.code}").json()
    assert row["indication_code"] == "knee_osteoarthritis"


def test_assay_form_refuses_an_unknown_code(client, world):
    client.force_login(world.analyst)
    r = client.post(reverse("studies:assay-create"), _form(world, indication_code="knee"))
    assert r.status_code in (200, 400)
    assert "indication_code" in r.content.decode() and not PotencyAssay.objects.exists()


@pytest.fixture(autouse=True)
def _db(db):
    return db


def test_coded_vocabulary_refusals_are_in_japanese(world):
    """An unknown indication (potency assay) or route (biodistribution study) is refused on its field
    in the reader's language (both messages were missing from studies.po: English on a Japanese page)."""
    from evqms.errors import InputError
    from evqms.i18n import use_language
    from evqms.studies import services

    with use_language("ja"), pytest.raises(InputError) as indication:
        services.create_potency_assay(
            actor=world.qa, product=world.product, name="A", mechanism="m", indication="no such disease",
            reference_lot=world.ref, acceptance_low=70, acceptance_high=130, qc_attribute_code="potency",
        )  # fmt: skip
    assert indication.value.where == "indication_code"
    assert "適応" in indication.value.message and "choose" not in indication.value.message
    with use_language("ja"), pytest.raises(InputError) as route:
        services.create_biodistribution_study(
            actor=world.qa, product=world.product, title="T", species="mouse", route="into the knee",
            label_method="DiR", target="knee", time_points="24 h", fraction_in_target_pct=50, threshold_pct=10,
        )  # fmt: skip
    assert route.value.where == "route"
    assert "投与経路" in route.value.message and "use one of" not in route.value.message
