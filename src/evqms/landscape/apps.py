from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class LandscapeConfig(AppConfig):
    name = "evqms.landscape"
    label = "landscape"
    verbose_name = gettext_lazy("Landscape")
