"""The navigation shows what a role can open: every demo role logs in, opens every menu link and every
dashboard card link, and gets no 403; and an entry left out of a role's menu is one its page refuses."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from evqms.web.context import NAVIGATION
from evqms.web.demo import load_demo

pytestmark = pytest.mark.django_db


def _login(username, password) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, (username, response.status_code)
    return client


def _menu_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="main"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return re.findall(r'href="(/[^"]*)"', nav)


def _card_links(html: str) -> list[str]:
    cards = re.search(r'<div class="cards">(.*?)</main>', html, re.S)
    return re.findall(r'href="(/[^"]*)"', cards.group(1)) if cards else []


def test_every_role_opens_every_menu_and_card_link():
    logins = load_demo()
    assert len(logins) == 7
    everything = {reverse(name) for name, _label, _perm in NAVIGATION}
    shown_by_role = {}
    for row in logins:
        client = _login(row["username"], row["password"])
        home = client.get("/")
        assert home.status_code == 200
        html = home.content.decode()
        menu, cards = _menu_links(html), _card_links(html)
        assert menu, row["username"]
        for url in menu + cards:
            status = client.get(url).status_code
            assert status == 200, (row["username"], url, status)
        # what the menu leaves out, the page refuses: the menu hides nothing the role may open
        for url in everything - set(menu):
            assert client.get(url).status_code == 403, (row["username"], url)
        shown_by_role[row["username"]] = set(menu)
    clinical = reverse("clinical:administration-list")
    assert clinical not in shown_by_role["operator"]
    assert clinical not in shown_by_role["analyst"]
    assert clinical not in shown_by_role["admin"]
    assert clinical in shown_by_role["physician"] and clinical in shown_by_role["qa"]


def test_the_demo_releases_within_the_release_rules():
    """Released demo lots expire within manufacture + the approved 18 months (the stability study's
    ICH Q1E 18.3 months, rounded down), keep a retention sample, and no lot's material departs from its
    process version's bill of materials."""
    from evqms.dossier.models import Specification
    from evqms.lots.models import Deviation, Lot
    from evqms.lots.selectors import add_months
    from evqms.studies.models import StabilityStudy
    from evqms.studies.selectors import stability_shelf_life

    load_demo()
    spec = Specification.objects.get(product__code="ucmsc-sev-oa", version=1)
    assert spec.status == "approved" and spec.shelf_life_months == 18
    released = Lot.objects.filter(status="released").order_by("number")
    assert [lot.number for lot in released] == ["UCEV-24-001", "UCEV-24-004"]
    for lot in released:
        assert lot.expiry == add_months(lot.manufactured_on, 18)
        assert lot.retention_samples.filter(status="in_stock").exists()
    assert not Deviation.objects.filter(source="material").exists()
    result, error = stability_shelf_life(StabilityStudy.objects.get(product__code="ucmsc-sev-oa"))
    assert error is None and round(result["shelf_life"], 1) == 18.3
    assert int(result["shelf_life"]) == spec.shelf_life_months
