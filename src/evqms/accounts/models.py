from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    """A person who uses evqms. `printed_name` is what a signature manifests (21 CFR 11.50)."""

    printed_name = models.CharField(_("printed name"), max_length=200, blank=True)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    def signature_name(self) -> str:
        return self.printed_name or self.get_full_name() or self.get_username()

    def role_names(self) -> list[str]:
        return sorted(self.groups.values_list("name", flat=True))

    def role_labels(self) -> list[str]:
        """The roles as the reader calls them ('QA reviewer' / 'QA担当者'), not the group names."""
        from evqms.accounts.roles import ROLES

        return [str(ROLES.get(name, name)) for name in self.role_names()]
