from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "evqms.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.backends.signals import connection_created

        from evqms.core import converters, maintenance

        # Before any URLconf is read: identifiers in URLs follow the identifier rule.
        converters.register()

        # Infrastructure, not business logic: the SQL function the append-only triggers consult.
        connection_created.connect(
            maintenance.register_sqlite_function, dispatch_uid="evqms_sqlite_functions"
        )
