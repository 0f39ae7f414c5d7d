from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "evqms.audit"
    label = "audit"
    verbose_name = _("Audit trail and signatures")

    def ready(self):
        from django.core import checks

        checks.register(app_role_check, checks.Tags.security, deploy=True)
        # Each area says how its business keys and children resolve (see audit/keys.py); loaded
        # by name so that audit, low in the house, imports none of them.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("audit_keys")


def app_role_check(app_configs=None, databases=None, **kwargs):
    """`check --deploy`: on PostgreSQL the application should not own the audit tables."""
    from django.core import checks
    from django.db import DatabaseError

    if not databases or "default" not in databases:
        return []
    from evqms.audit.dbroles import app_connects_as_owner

    try:
        owner = app_connects_as_owner()
    except DatabaseError:
        return []
    if not owner:
        return []
    return [
        checks.Warning(
            "The application connects to PostgreSQL as the owner of the audit tables: it could "
            "drop their triggers and truncate them.",
            hint="Connect as a role with row access only (evqms audit grant-app-role) and migrate "
            "with DATABASE_OWNER_URL.",
            id="evqms.W001",
        )
    ]
