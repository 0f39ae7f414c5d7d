from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicalConfig(AppConfig):
    name = "evqms.clinical"
    label = "clinical"
    verbose_name = _("Clinical")
    default_auto_field = "django.db.models.BigAutoField"
