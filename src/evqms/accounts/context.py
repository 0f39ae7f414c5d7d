from django.conf import settings


def session_idle(request) -> dict:
    """The idle timeout the page's warning counts down (web/static/web/session.js)."""
    return {
        "session_idle_timeout": settings.SESSION_IDLE_TIMEOUT,
        "session_idle_warning": settings.SESSION_IDLE_WARNING,
    }
