"""The stability page shows, beside the study's ICH Q1E estimate, the shelf life the product's approved
specification holds lots to, and says when the approved one is longer than the study supports."""

from __future__ import annotations

import pytest
from django.urls import reverse
from test_studies_trend_stability import STABILITY

from evqms.studies import selectors, services

pytestmark = pytest.mark.django_db


def test_approved_shelf_life_beside_the_estimate(client, world):
    from evqms.dossier.models import Specification
    from evqms.testing import factories as f

    lots = [f.lot(n, status="released", prod=world.product) for n in STABILITY]
    study = services.create_stability_study(
        actor=world.qa, product=world.product, name="S", attribute_code="potency", condition="-80 C",
        lots=lots, lower="95", unit="%",
    )  # fmt: skip
    for lot in lots:
        for month, value in STABILITY[lot.number]:
            services.add_stability_result(
                actor=world.analyst, study=study, lot=lot, time_months=month, value=value
            )
    estimate = selectors.stability_shelf_life(study)[0]["shelf_life"]
    assert 12 < estimate < 60
    assert (
        client.post("/accounts/login/", {"username": "qa1", "password": world.qa.raw_password}).status_code
        == 302
    )
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    url = reverse("studies:stability-detail", args=[study.pk])
    Specification.objects.filter(product=world.product).update(shelf_life_months=60)
    page = client.get(url).content.decode()
    assert "Approved shelf life: <strong>60 months</strong> (specification v1)" in page
    assert "longer than this study supports" in page
    Specification.objects.filter(product=world.product).update(shelf_life_months=12)
    page = client.get(url).content.decode()
    assert "<strong>12 months</strong>" in page and "longer than this study supports" not in page
    Specification.objects.filter(product=world.product).update(shelf_life_months=None)
    assert "No shelf life approved in a specification yet" in client.get(url).content.decode()
