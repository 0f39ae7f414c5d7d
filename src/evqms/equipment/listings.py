"""The equipment lists' columns (evqms.core.listing): the instrument register and the rooms.

The register's rows are `selectors.register_rows` dicts (each instrument with its state as of
today, which no query holds), so it sorts in Python; it is one site's instruments, not thousands."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from evqms.core.listing import Column, Listing, attr
from evqms.equipment import status


def _state(row) -> str:
    return str(status.state_labels().get(row["state"], row["state"]))


INSTRUMENTS = Listing(
    "instruments",
    (
        Column("identifier", _("Identifier"), attr("instrument.identifier")),
        Column("name", pgettext_lazy("instrument", "Name"), attr("instrument.name")),
        Column("kind", _("Kind"), attr("instrument.get_kind_display")),
        Column("room", _("Room"), attr("instrument.room.code")),
        Column("owner", _("Owner"), attr("instrument.owner.signature_name")),
        Column("state", _("State"), _state),
        Column("calibration_due", _("Calibration due"), attr("calibration.day")),
        Column("maintenance_due", _("Maintenance due"), attr("maintenance.day")),
        Column("overdue_policy", _("If overdue"), attr("instrument.get_overdue_policy_display")),
    ),
)

ROOMS = Listing(
    "rooms",
    (
        Column("code", _("Room code"), attr("code"), "code"),
        Column("name", pgettext_lazy("room", "Name"), attr("name"), "name"),
        Column("grade", _("Cleanroom grade (EU GMP Annex 1)"), attr("get_grade_display"), "grade"),
        Column("active", _("In use"), attr("active"), "active"),
    ),
)
