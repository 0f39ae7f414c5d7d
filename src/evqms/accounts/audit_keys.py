"""How the audit trail finds users and their API tokens (see audit/keys.py)."""

from django.utils.translation import gettext_lazy as _

from evqms.accounts.models import ApiToken, User
from evqms.audit.keys import (
    children_by,
    names_by,
    register_area,
    register_children,
    register_key,
    register_record,
)

register_area("accounts", label=_("Users"))
register_record(
    "user",
    label=_("User"),
    area="accounts",
    names=names_by(User, "username"),
    url_name="accounts:user-detail",
)
register_record(
    "api_token",
    label=_("API token"),
    area="accounts",
    names=names_by(ApiToken, "prefix", fmt=lambda p: f"{p}…"),
)
register_key(
    "user",
    label=_("User name"),
    object_type="user",
    resolve=lambda text: list(
        User.objects.filter(username__iexact=text.strip()).values_list("pk", flat=True)
    ),
)
register_children("user", children_by(ApiToken, "user_id", "api_token"))
