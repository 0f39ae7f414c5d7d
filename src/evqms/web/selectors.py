"""What the dashboard shows: each area's `selectors.dashboard_card(user)` (a dict or None), then the audit trail's."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from evqms.audit.models import AuditEvent
from evqms.clinical.selectors import dashboard_card as clinical_card
from evqms.compliance.selectors import dashboard_card as compliance_card
from evqms.dossier.selectors import dashboard_card as dossier_card
from evqms.inventory.selectors import dashboard_card as inventory_card
from evqms.lots.selectors import dashboard_card as lots_card
from evqms.studies.selectors import dashboard_card as studies_card
from evqms.trace.selectors import dashboard_card as trace_card
from evqms.web.context import read_permission


def _area_cards(user) -> list:
    return [
        card(user)
        for card in (
            dossier_card,
            lots_card,
            studies_card,
            inventory_card,
            clinical_card,
            trace_card,
            compliance_card,
        )
    ]


def _audit_card(user):
    if not user.has_perm(read_permission("audit:trail")):
        return None
    return {
        "title": _("Audit trail"),
        "value": AuditEvent.objects.count(),
        "caption": _("events recorded"),
        "url_name": "audit:trail",
    }


def _opens(user, card: dict) -> bool:
    """A card links only to a page the user may open: the menu's read permission of that page."""
    name = card.get("url_name")
    if not name:
        return True
    try:
        perm = read_permission(name)
    except KeyError:  # a page outside the menu: the area's card function decided
        return True
    return perm is None or user.has_perm(perm)


def dashboard_cards(user) -> list[dict]:
    cards = [card for card in _area_cards(user) if card and _opens(user, card)]
    audit = _audit_card(user)
    if audit:
        cards.append(audit)
    for card in cards:
        card["url"] = reverse(card["url_name"]) if card.get("url_name") else None
    return cards
