from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EquipmentConfig(AppConfig):
    name = "evqms.equipment"
    label = "equipment"
    verbose_name = _("Equipment")
    default_auto_field = "django.db.models.BigAutoField"
