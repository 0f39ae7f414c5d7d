from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CapaConfig(AppConfig):
    name = "evqms.capa"
    label = "capa"
    verbose_name = _("Deviations and CAPA")
    default_auto_field = "django.db.models.BigAutoField"
