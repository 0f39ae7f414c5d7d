from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LotsConfig(AppConfig):
    name = "evqms.lots"
    label = "lots"
    verbose_name = _("Lots")
