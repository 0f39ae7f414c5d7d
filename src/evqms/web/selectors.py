"""What the dashboard shows. Areas add a card function to CARDS; each returns a dict or None."""

from __future__ import annotations

import importlib

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

CARD_PROVIDERS = [
    "evqms.lots.selectors:dashboard_card",
    "evqms.inventory.selectors:dashboard_card",
    "evqms.clinical.selectors:dashboard_card",
    "evqms.compliance.selectors:dashboard_card",
]


def _audit_card(user):
    from evqms.audit.models import AuditEvent

    if not user.has_perm("evqms.view_audit_trail"):
        return None
    return {
        "title": _("Audit trail"),
        "value": AuditEvent.objects.count(),
        "caption": _("events recorded"),
        "url_name": "audit:trail",
    }


def dashboard_cards(user) -> list[dict]:
    cards = []
    for ref in CARD_PROVIDERS:
        module_name, func = ref.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        provider = getattr(module, func, None)
        card = provider(user) if provider else None
        if card:
            cards.append(card)
    audit = _audit_card(user)
    if audit:
        cards.append(audit)
    for card in cards:  # an area whose pages are not mounted yet shows its card without a link
        try:
            card["url"] = reverse(card["url_name"]) if card.get("url_name") else None
        except NoReverseMatch:
            card["url"] = None
    return cards
