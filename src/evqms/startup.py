"""Starting Django from a command: the one way every `evqms` handler that needs the database
sets it up (settings, apps, the language the command speaks).

Low in the house so that any area's command-line module can call it without importing the
command tree above it; Django itself is imported only when a handler runs.
"""

from __future__ import annotations

import os


def setup_django() -> None:
    """Configure settings, load the apps and activate the language of this command (--lang,
    EVQMS_LANG or the locale)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evqms.settings")
    import django
    from django.utils import translation

    from evqms.i18n import env_language

    django.setup()
    translation.activate(env_language())
