"""What the dashboard shows: the cards of the menu's pages the user may open (web.menu.MENU), in
the menu's order, each linking to its page."""

from __future__ import annotations

from django.urls import reverse

from evqms.web.menu import pages_for


def dashboard_cards(user) -> list[dict]:
    cards = []
    for page in pages_for(user):
        card = page.card(user) if page.card else None
        if card:
            cards.append({**card, "url": reverse(page.url_name)})
    return cards
