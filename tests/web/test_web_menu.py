"""The menu and the dashboard read one table (web.menu.MENU): a row's page, the permission its view
requires, and its card. Every demo role opens every menu and card link it is shown (200, never 403);
every page it is not shown answers 403; and every `<area>.view` page a role may open is in its menu."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from rules.permissions import permissions

from evqms.testing import factories as f
from evqms.web.demo import load_demo
from evqms.web.menu import MENU

pytestmark = pytest.mark.django_db

AREA_VIEW = re.compile(r"^[a-z_]+\.view$")
# The two rows whose page is not an area's read page: the dashboard (every signed-in user) and the
# administrator's users page.
NOT_AREA_READ_PAGES = {"web:dashboard": None, "accounts:user-list": "evqms.manage_users"}


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


def test_each_row_asks_its_areas_read_permission_and_every_area_has_a_row():
    for page in MENU:
        area = page.url_name.split(":")[0]
        expected = NOT_AREA_READ_PAGES.get(page.url_name, f"{area}.view")
        assert page.permission == expected, page.url_name
    area_views = {name for name in permissions if AREA_VIEW.match(name)}
    assert area_views == {page.permission for page in MENU if page.url_name not in NOT_AREA_READ_PAGES}
    assert len({page.url_name for page in MENU}) == len(MENU)


def test_a_card_links_to_its_row_and_is_not_given_without_the_rows_permission():
    nobody = f.user("menu-norole")
    for page in MENU:
        if page.card:
            assert page.card(nobody) is None, page.url_name
    auditor = f.user("menu-auditor", "auditor")
    for page in MENU:
        card = page.card(auditor) if page.card and page.opens_for(auditor) else None
        if card:
            assert card["url_name"] == page.url_name


def test_every_role_opens_every_menu_and_card_link_and_every_page_it_may_read_is_in_its_menu():
    logins = load_demo()
    assert len(logins) == 8  # one per role, and a second operator (the training demo's lapsed one)
    everything = {reverse(page.url_name) for page in MENU}
    shown_by_role = {}
    for row in logins:
        client = _login(row["username"], row["password"])
        home = client.get("/")
        assert home.status_code == 200
        user = home.wsgi_request.user
        html = home.content.decode()
        menu, cards = _menu_links(html), _card_links(html)
        assert menu, row["username"]
        for url in menu + cards:
            status = client.get(url).status_code
            assert status == 200, (row["username"], url, status)
        assert set(cards) <= set(menu), row["username"]  # a card links to a page of the menu
        # what the menu leaves out, the page refuses: the menu hides nothing the role may open
        for url in everything - set(menu):
            assert client.get(url).status_code == 403, (row["username"], url)
        for page in MENU:
            if page.permission and AREA_VIEW.match(page.permission) and user.has_perm(page.permission):
                assert reverse(page.url_name) in menu, (row["username"], page.permission)
        shown_by_role[row["username"]] = set(menu)
    clinical = reverse("clinical:administration-list")
    assert clinical not in shown_by_role["operator"]
    assert clinical not in shown_by_role["analyst"]
    assert clinical not in shown_by_role["admin"]
    assert clinical in shown_by_role["physician"] and clinical in shown_by_role["qa"]
    assert reverse("accounts:user-list") in shown_by_role["admin"]
    assert reverse("accounts:user-list") not in shown_by_role["qa"]
