from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "evqms.changes"
    label = "changes"
    verbose_name = _("Change control")
    default_auto_field = "django.db.models.BigAutoField"
