from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def note_recorded_locks(apps, schema_editor):
    """Accounts with failed logins in the cool-off may be locked now: they keep being checked on
    each request until the cool-off has passed (a lock recorded later is noted by the handler)."""
    AccessAttempt = apps.get_model("axes", "AccessAttempt")
    User = apps.get_model("accounts", "User")
    cool_off = settings.AXES_COOLOFF_TIME
    cool_off = cool_off if isinstance(cool_off, timedelta) else timedelta(hours=cool_off)
    now = timezone.now()
    names = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off).values_list("username", flat=True)
    User.objects.filter(username__in=[n for n in names if n]).update(lock_possible_until=now + cool_off)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_tokens_hashed"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="lock_possible_until",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(note_recorded_locks, migrations.RunPython.noop),
    ]
