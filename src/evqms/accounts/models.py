from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    """A person who uses evqms. `printed_name` is what a signature manifests (21 CFR 11.50)."""

    printed_name = models.CharField(_("printed name"), max_length=200, blank=True)
    # Set when django-axes locks this account from some address (accounts.lockout): until then each
    # request of the account asks axes whether the lock holds for its address; otherwise none does.
    lock_possible_until = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["password", "last_login", "lock_possible_until"])

    def signature_name(self) -> str:
        return self.printed_name or self.get_full_name() or self.get_username()

    def role_set(self) -> set[str]:
        """The names of the roles, read once per user object (the permission predicates, the menu
        and the page header ask for them on every request); set_roles forgets them."""
        cached = getattr(self, "_evqms_roles", None)
        if cached is None:
            if "groups" in getattr(self, "_prefetched_objects_cache", {}):  # the users page
                cached = {g.name for g in self.groups.all()}
            else:
                cached = set(self.groups.values_list("name", flat=True))
            self._evqms_roles = cached
        return cached

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._evqms_roles = None  # as Django forgets prefetched groups

    def role_names(self) -> list[str]:
        return sorted(self.role_set())

    def role_labels(self) -> list[str]:
        """The roles as the reader calls them ('QA reviewer' / 'QA担当者'), not the group names."""
        from evqms.accounts.roles import ROLES

        return [str(ROLES.get(name, name)) for name in self.role_names()]


class ApiToken(models.Model):
    """A token for the API, stored as the SHA-256 of its secret: the secret is shown once, when it is
    made, and a copy of the database cannot be used to call the API. `prefix` names it on the pages."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoke_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.username})"

    @property
    def state(self) -> str:
        from django.utils import timezone

        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "active"


class NotificationPreference(models.Model):
    """What a person wants by e-mail about their work queue: the daily digest, the immediate message
    for what falls due within 24 hours, and the language of both ("" = the site's)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="notification_preference")
    digest = models.BooleanField(_("daily digest of my tasks"), default=True)
    immediate = models.BooleanField(
        _("immediate message when a task falls due within 24 hours"), default=True
    )
    language = models.CharField(_("language of the messages"), max_length=10, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id} digest={self.digest} immediate={self.immediate}"


class NotificationSent(models.Model):
    """What was sent to whom, so a second run sends nothing twice: one digest per person per day
    (key: the day), one immediate message per task (key: the task's kind, page and due day)."""

    KINDS = [("digest", _("Daily digest")), ("due", _("Due within 24 hours"))]
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=KINDS)
    key = models.CharField(max_length=300)
    day = models.DateField()
    subject = models.CharField(max_length=300)
    tasks = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "key"], name="notification_sent_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.key}"
