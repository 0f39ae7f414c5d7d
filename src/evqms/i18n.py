"""Translations for code that runs without Django (the CLI, guidance/, analytics/, landscape/).

The pure packages and the Django apps share one catalogue: `locale/ja/LC_MESSAGES/django.mo`,
compiled from the `.po` files under `locale/ja/` (see `evqms.localebuild`). Inside a Django
request, Django's own gettext reads the same file. Outside Django the language comes from
`EVQMS_LANG`, else from `LANG`/`LC_ALL` (ja_JP.UTF-8 -> Japanese), else English.
"""

from __future__ import annotations

import gettext as _gettext
import os
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "ja")
_override: list[str] = []


def env_language() -> str:
    """The language the environment asks for: EVQMS_LANG, else LC_ALL/LANG, else English."""
    for var in ("EVQMS_LANG", "LC_ALL", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def current_language() -> str:
    if _override:
        return _override[-1]
    try:  # inside Django (a request, or the CLI after it activated env_language()), follow Django
        from django.apps import apps
        from django.conf import settings

        if settings.configured and apps.ready:
            from django.utils import translation

            lang = translation.get_language()
            if lang:
                return "ja" if lang.startswith("ja") else "en"
    except ImportError:  # pragma: no cover - the pure path must not need Django
        pass
    return env_language()


@lru_cache(maxsize=4)
def _catalogue(lang: str) -> _gettext.NullTranslations:
    return _gettext.translation("django", localedir=str(LOCALE_DIR), languages=[lang], fallback=True)


def gettext(message: str) -> str:
    lang = current_language()
    if lang == "en":
        return message
    return _catalogue(lang).gettext(message)


_ = gettext


class use_language:
    """Context manager: `with use_language("ja"): ...` (for reports rendered in a chosen language)."""

    def __init__(self, lang: str):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
        self.lang = lang

    def __enter__(self):
        _override.append(self.lang)
        return self

    def __exit__(self, *exc):
        _override.pop()
        return False


def bilingual(text: dict | str, lang: str | None = None) -> str:
    """Pick the language from a {'en': ..., 'ja': ...} mapping (rule-set texts, report labels)."""
    if isinstance(text, str):
        return text
    lang = lang or current_language()
    return text.get(lang) or text.get("en") or next(iter(text.values()), "")
