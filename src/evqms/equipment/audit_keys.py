"""How the audit trail finds rooms and instruments (see audit/keys.py)."""

from django.utils.translation import gettext_lazy as _

from evqms.audit.keys import names_by, register_area, register_key, register_record, resolve_by
from evqms.equipment.models import Instrument, Room

register_area("equipment", label=_("Equipment"))
register_record(
    "room", label=_("Room"), area="equipment", names=names_by(Room, "code"), url_name="equipment:room-detail"
)
register_record(
    "instrument",
    label=_("Instrument"),
    area="equipment",
    names=names_by(Instrument, "identifier"),
    url_name="equipment:instrument-detail",
)
register_key("room", label=_("Room code"), object_type="room", resolve=resolve_by(Room, "code"))
register_key(
    "instrument",
    label=_("Instrument identifier"),
    object_type="instrument",
    resolve=resolve_by(Instrument, "identifier"),
)
