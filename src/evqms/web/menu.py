"""The one table of the menu and the dashboard: each row is an area's page, the permission its view
requires, and the area's dashboard card.

A role sees a menu entry and its card exactly when it holds the permission the page asks for
(`evqms.core.views.require(request, "<area>.view")`): the menu cannot show a page that answers 403,
nor hide one the role may open. tests/web/test_web_menu.py opens every entry as every role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from evqms.audit.selectors import dashboard_card as audit_card
from evqms.capa.selectors import dashboard_card as capa_card
from evqms.changes.selectors import dashboard_card as changes_card
from evqms.clinical.selectors import dashboard_card as clinical_card
from evqms.compliance.selectors import dashboard_card as compliance_card
from evqms.dossier.selectors import dashboard_card as dossier_card
from evqms.environment.selectors import dashboard_card as environment_card
from evqms.equipment.selectors import dashboard_card as equipment_card
from evqms.inventory.selectors import dashboard_card as inventory_card
from evqms.lots.selectors import dashboard_card as lots_card
from evqms.studies.selectors import dashboard_card as studies_card
from evqms.trace.selectors import dashboard_card as trace_card
from evqms.training.selectors import dashboard_card as training_card


@dataclass(frozen=True)
class Page:
    url_name: str
    label: str
    permission: str | None  # what the page's view requires; None: every signed-in user
    card: Callable[..., dict | None] | None = None  # the area's dashboard card, linking to this page

    def opens_for(self, user) -> bool:
        return self.permission is None or user.has_perm(self.permission)


MENU = (
    Page("web:dashboard", _("Dashboard"), None),
    Page("dossier:product-list", _("Products"), "dossier.view", dossier_card),
    Page("changes:list", _("Change control"), "changes.view", changes_card),
    Page("lots:lot-list", _("Lots"), "lots.view", lots_card),
    Page("deviations:list", _("Deviations"), "deviations.view", capa_card),
    Page("capa:list", _("CAPA"), "capa.view"),
    Page("environment:index", _("Environment"), "environment.view", environment_card),
    Page("training:matrix", _("Training"), "training.view", training_card),
    Page("inventory:aliquot-list", _("Inventory"), "inventory.view", inventory_card),
    Page("equipment:register", _("Equipment"), "equipment.view", equipment_card),
    Page("clinical:administration-list", _("Clinical"), "clinical.view", clinical_card),
    Page("trace:index", _("Trace"), "trace.view", trace_card),  # trace, recalls and holds
    Page("studies:index", _("Studies"), "studies.view", studies_card),
    Page("compliance:index", _("Compliance"), "compliance.view", compliance_card),
    Page("landscape:index", _("Landscape"), "landscape.view"),
    Page("audit:trail", _("Audit trail"), "audit.view", audit_card),
    Page("accounts:user-list", _("Users"), "evqms.manage_users"),
)


def pages_for(user) -> list[Page]:
    """The rows a user's menu shows, in the menu's order."""
    return [page for page in MENU if page.opens_for(user)]
