"""Django settings.

Configuration comes from the environment:
- EVQMS_HOME      folder for the SQLite database, uploaded files and the local secret key (default ./var)
- DATABASE_URL    e.g. postgres://user@host:5432/evqms; unset -> SQLite at $EVQMS_HOME/evqms.sqlite3
- EVQMS_MODE      "local" (default: demo and development over plain HTTP on this machine) or
                  "production" (HTTPS only, secure cookies, HSTS; needs EVQMS_SECRET_KEY and EVQMS_ALLOWED_HOSTS)
- EVQMS_SECRET_KEY, EVQMS_ALLOWED_HOSTS (comma-separated), EVQMS_DEBUG=1 (local only)
- DATABASE_OWNER_URL  PostgreSQL: the owner role that migrates (DATABASE_URL is then the app's role)
- EVQMS_AUDIT_CHECKPOINT_EVERY (default 100), EVQMS_AUDIT_CHECKPOINT_HOOK (a command; gets each
  checkpoint line on stdin)
- EVQMS_UPLOAD_LIMIT_MB (default 50): the largest file uploaded or read by a command;
  EVQMS_DECOMPRESSED_LIMIT_MB (default 200): the most a compressed upload may expand to
  (evqms.core.limits reads both where they apply; a mistyped value stops the start)
- EVQMS_MEDIA_FILL_VALIDITY_MONTHS (default 6): how long a passed media fill qualifies an operator
- E-mail (the work-queue notifications, `evqms notify digest|due`), through Django's mail framework:
  EVQMS_EMAIL_BACKEND "console" (default: printed on standard output), "file" (one file per message
  in EVQMS_EMAIL_FILE_PATH, default $EVQMS_HOME/mail) or "smtp" (EVQMS_EMAIL_HOST, EVQMS_EMAIL_PORT
  default 587, EVQMS_EMAIL_HOST_USER, EVQMS_EMAIL_HOST_PASSWORD, EVQMS_EMAIL_USE_TLS default 1,
  EVQMS_EMAIL_USE_SSL); EVQMS_EMAIL_FROM the sender; EVQMS_BASE_URL the address links in a
  message start with (default http://127.0.0.1:8000). No password is kept in the repository.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
EVQMS_HOME = Path(os.environ.get("EVQMS_HOME", "var")).resolve()


def _private_home(home: Path) -> None:
    """EVQMS_HOME holds the database, keys, checkpoints and kept files: this account's only.

    The umask makes every file this process creates 0600 and every folder 0700 (SQLite's journal
    files follow the database file); a home or database left open by an older version is closed."""
    os.umask(0o077)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if home.stat().st_mode & 0o077:
        home.chmod(0o700)
    for name in ("evqms.sqlite3", "evqms.sqlite3-wal", "evqms.sqlite3-shm", "secret_key", "patient_key"):
        path = home / name
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


_private_home(EVQMS_HOME)
MODE = os.environ.get("EVQMS_MODE") or "local"
if MODE not in ("local", "production"):
    # A typo ("prod", "Production") must not quietly give the plain-HTTP local settings.
    from django.core.exceptions import ImproperlyConfigured

    from evqms.i18n import gettext as _t

    raise ImproperlyConfigured(
        _t("EVQMS_MODE must be 'local' or 'production', not {value!r}").format(value=MODE)
    )
PRODUCTION = MODE == "production"


def _local_secret_key() -> str:
    """A per-installation key kept in EVQMS_HOME, never in the repository."""
    from evqms.core import keyfile

    try:
        return keyfile.read_or_create(EVQMS_HOME / "secret_key", make=lambda: secrets.token_urlsafe(64))
    except keyfile.DamagedKey as exc:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(str(exc)) from None


if PRODUCTION:
    from django.core.exceptions import ImproperlyConfigured

    if len(os.environ.get("EVQMS_SECRET_KEY", "")) < 50:
        raise ImproperlyConfigured(
            "EVQMS_MODE=production needs EVQMS_SECRET_KEY (50 or more random characters)"
        )
    SECRET_KEY = os.environ["EVQMS_SECRET_KEY"]
    ALLOWED_HOSTS = [h.strip() for h in os.environ.get("EVQMS_ALLOWED_HOSTS", "").split(",") if h.strip()]
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("EVQMS_SECRET_KEY") or _local_secret_key()
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
    DEBUG = os.environ.get("EVQMS_DEBUG") == "1"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "evqms.core",
    "evqms.accounts",
    "evqms.audit",
    "evqms.web",
    "evqms.changes",
    "evqms.dossier",
    "evqms.equipment",
    "evqms.training",
    "evqms.lots",
    "evqms.capa",
    "evqms.environment",
    "evqms.inventory",
    "evqms.clinical",
    "evqms.trace",
    "evqms.studies",
    "evqms.compliance",
    "evqms.reports",
    "evqms.landscape",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "evqms.web.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "evqms.web.middleware.EvqmsLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "evqms.accounts.middleware.AccountStateMiddleware",  # inactive, locked or idle: signed out
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "evqms.urls"
WSGI_APPLICATION = "evqms.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "evqms.web.context.navigation",
                "evqms.web.csp.nonce",
                "evqms.accounts.context.session_idle",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # JIT compilation costs 50-120 ms on the recursive trace queries and buys nothing on
        # short OLTP queries (benchmarks/trace_scale.py, docs/performance.md).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    EVQMS_HOME.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(EVQMS_HOME / "evqms.sqlite3"),
            # Kept open between requests, as on PostgreSQL: opening one (its functions registered,
            # the pragmas run) and closing it (the last one out checkpoints the WAL) took 4.5 ms,
            # more than a third of the lightest page (docs/performance.md).
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # IMMEDIATE: a write transaction takes the lock at BEGIN, so check-then-act is safe.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            # Tests use a file too (not :memory:): WAL, locking and the live server behave as in use.
            "TEST": {"NAME": str(EVQMS_HOME / "test-evqms.sqlite3")},
        }
    }
# Migrations run as the owner of the tables (DATABASE_OWNER_URL, PostgreSQL); the application
# connects with DATABASE_URL as a role that cannot delete, update or truncate the audit trail
# (evqms.audit.dbroles). Leave it unset where one role does both (SQLite, a local PostgreSQL).
DATABASE_OWNER_URL = os.environ.get("DATABASE_OWNER_URL", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _numeric_setting(read, *args):
    """A numeric setting read by evqms.core.limits (the one parser: a whole number, 1 or more); a
    mistyped value stops the start, naming the variable in the user's language."""
    from evqms.core import limits

    try:
        return read(*args)
    except limits.LimitSettingError as exc:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(exc.message) from None


def _positive_int_env(name: str, default: int) -> int:
    from evqms.core.limits import positive_int_env

    return _numeric_setting(positive_int_env, name, default)


def _check_limit_settings() -> None:
    from evqms.core.limits import check_settings

    _numeric_setting(check_settings)


# Checkpoints of the audit chain outside the database (evqms.audit.checkpoints): the head, with an
# HMAC whose key is kept in EVQMS_HOME, is appended to a file there every N events and on the
# first write of each day; the hook command gets each line on stdin to copy it off the machine.
# Only the test suite switches them off (its rolled-back chains would leave stale checkpoints).
AUDIT_CHECKPOINTS = PRODUCTION or os.environ.get("EVQMS_AUDIT_CHECKPOINTS", "on") != "off"
AUDIT_CHECKPOINT_EVERY = _positive_int_env("EVQMS_AUDIT_CHECKPOINT_EVERY", 100)
# How long a passed media fill qualifies an operator (EU GMP Annex 1 (2022) 9.39: about 6 months
# for manual aseptic work); EVQMS_MEDIA_FILL_VALIDITY_MONTHS overrides it.
MEDIA_FILL_VALIDITY_MONTHS = _positive_int_env("EVQMS_MEDIA_FILL_VALIDITY_MONTHS", 6)
AUDIT_CHECKPOINT_FILE = EVQMS_HOME / "audit-checkpoints.log"
AUDIT_CHECKPOINT_KEY_FILE = EVQMS_HOME / "audit-checkpoint.key"
AUDIT_CHECKPOINT_HOOK = os.environ.get("EVQMS_AUDIT_CHECKPOINT_HOOK", "")

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must be first: it refuses locked-out users
    "evqms.accounts.lockout.BackoffBackend",  # slows guessing from unknown addresses
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The test suite (and only it) swaps PBKDF2's deliberate slowness for a fast hash: thousands of
# test users and logins would otherwise take minutes. Refused in production.
if os.environ.get("EVQMS_TESTING_FAST_INSECURE_HASHER") == "1":
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "EVQMS_TESTING_FAST_INSECURE_HASHER is for the test suite, never production"
        )
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Lockout: 5 failures (logins, API token requests and signature password checks alike) lock the
# account from that address for an hour (evqms.accounts.lockout). The account and the address are
# locked together: a stranger elsewhere cannot lock QA out, and a clinic's staff sharing one address
# do not lock each other out. Guessing from many addresses is slowed: after
# EVQMS_LOGIN_BACKOFF_AFTER failures from addresses the person never signed in from, each further
# attempt from such an address waits, twice as long each time. An administrator unlocks
# (`evqms users unlock`, the users page).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_LOCKOUT_CALLABLE = "evqms.accounts.lockout.lockout_response"
AXES_HANDLER = "evqms.accounts.axes_handler.LockoutNotingHandler"  # notes each lock on the account
AXES_VERBOSE = False
EVQMS_LOGIN_BACKOFF_AFTER = 10


# API tokens (evqms.accounts.api_auth) last EVQMS_TOKEN_DAYS at most (default 30).
EVQMS_TOKEN_DAYS = _positive_int_env("EVQMS_TOKEN_DAYS", 30)
# Days from the day the clinic learnt of a serious adverse event to its report's due date: death or
# life-threatening 7, other serious 15 (Act on the Safety of Regenerative Medicine and its
# Enforcement Regulation, reports of illnesses etc.; see README).
EVQMS_SAE_DAYS_FATAL = _positive_int_env("EVQMS_SAE_DAYS_FATAL", 7)
EVQMS_SAE_DAYS_SERIOUS = _positive_int_env("EVQMS_SAE_DAYS_SERIOUS", 15)
# A session without a request for EVQMS_SESSION_IDLE_MINUTES (default 30) is ended; the page warns
# SESSION_IDLE_WARNING seconds before (web/static/web/session.js).
SESSION_IDLE_TIMEOUT = _positive_int_env("EVQMS_SESSION_IDLE_MINUTES", 30) * 60
SESSION_IDLE_WARNING = min(300, SESSION_IDLE_TIMEOUT // 2)

_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}
_email_backend = os.environ.get("EVQMS_EMAIL_BACKEND", "console") or "console"
if _email_backend not in _EMAIL_BACKENDS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"EVQMS_EMAIL_BACKEND must be one of {', '.join(_EMAIL_BACKENDS)} (got {_email_backend!r})"
    )
EMAIL_BACKEND = _EMAIL_BACKENDS[_email_backend]
EMAIL_FILE_PATH = os.environ.get("EVQMS_EMAIL_FILE_PATH") or str(EVQMS_HOME / "mail")
EMAIL_HOST = os.environ.get("EVQMS_EMAIL_HOST", "localhost")
try:
    EMAIL_PORT = int(os.environ.get("EVQMS_EMAIL_PORT", "587") or 587)
except ValueError:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("EVQMS_EMAIL_PORT must be a port number") from None
EMAIL_HOST_USER = os.environ.get("EVQMS_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EVQMS_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = os.environ.get("EVQMS_EMAIL_USE_SSL", "0") == "1"
EMAIL_USE_TLS = not EMAIL_USE_SSL and os.environ.get("EVQMS_EMAIL_USE_TLS", "1") == "1"
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("EVQMS_EMAIL_FROM", "evqms@localhost")
EVQMS_BASE_URL = (os.environ.get("EVQMS_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")


def _task_days(text: str) -> dict[str, int]:
    """EVQMS_TASK_DAYS="deviation.close=20,qc.verify=3": days from when a task became possible to its
    due day, per kind (evqms.core.tasks.DEFAULT_DAYS for the rest)."""
    days = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _sep, value = part.partition("=")
        if not value.strip().isdigit():
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                f"EVQMS_TASK_DAYS: {part!r} is not kind=days (e.g. deviation.close=20)"
            )
        days[kind.strip()] = int(value)
    return days


EVQMS_TASK_DAYS = _task_days(os.environ.get("EVQMS_TASK_DAYS", ""))

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("EVQMS_TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = EVQMS_HOME / "static"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders locally
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = EVQMS_HOME / "files"
MEDIA_URL = "files/"
FILE_UPLOAD_PERMISSIONS = 0o600  # Django's default 0o644 would let every local account read them
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
# Input bounds: every upload field, import and command file is refused above EVQMS_UPLOAD_LIMIT_MB,
# naming the setting (evqms.core.limits, the one place they are read).
_check_limit_settings()
WHITENOISE_USE_FINDERS = not PRODUCTION

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The token first: an API call without credentials then answers 401, not 403.
        "evqms.accounts.api_auth.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "evqms.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "evqms API",
    "DESCRIPTION": "Quality, safety and oversight for EV therapies",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Several models have a "status" field with different choices: name each set once.
    "ENUM_NAME_OVERRIDES": {
        "LotStatusEnum": "evqms.lots.models.LOT_STATUSES",
        "QCResultStatusEnum": "evqms.lots.models.QCResult.STATUSES",
        "DeviationStatusEnum": "evqms.lots.models.Deviation.STATUSES",
        "RecordStatusEnum": "evqms.dossier.models.RECORD_STATUSES",
        "CellBankStatusEnum": "evqms.dossier.models.CellBank.STATUSES",
        "MaterialLotStatusEnum": "evqms.dossier.models.MaterialLot.STATUSES",
        "AliquotStatusEnum": "evqms.inventory.models.ALIQUOT_STATUSES",
        "RecallStatusEnum": ["open", "closed"],  # trace.api's serializers
        "ChangeKindEnum": "evqms.changes.models.KINDS",
        "CapaKindEnum": "evqms.capa.models.Capa.KINDS",
        "TrainingMethodEnum": "evqms.training.models.TRAINING_METHODS",
        "SamplingMethodEnum": "evqms.environment.limits.METHODS",
        "HoldStatusEnum": ["active", "released"],
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("EVQMS_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "evqms.core.logstream.CurrentStderrHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # warcio warns once per malformed header of a saved crawl; the importer reports what it skipped
    "loggers": {"axes": {"level": "ERROR"}, "warcio": {"level": "ERROR"}},
}
