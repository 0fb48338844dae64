"""Common Ground settings: one module, every value read from the environment.

Local defaults are safe for a laptop trial (SQLite under var/, mail written to var/mail/).
With PRODUCTION=true the secret key must come from the environment and every
`manage.py check --deploy` recommendation is on. Each variable is listed in the README.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


PRODUCTION = env_bool("PRODUCTION", False)
DEBUG = env_bool("DEBUG", not PRODUCTION)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when PRODUCTION=true.")
    SECRET_KEY = "insecure-local-development-key-never-use-in-production-0123456789"  # noqa: S105

# Signers' IP addresses are stored only as HMAC-SHA256 under this key (see signatories).
IP_HASH_KEY = env_str("IP_HASH_KEY") or SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Common Ground")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "anymail",
    "campaigns",
    "signatories",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.language.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "config.language.language_links",
            ],
        },
    },
    {
        # Plain-text emails: the same templates folder, without HTML escaping.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# Database: SQLite under var/ by default; DATABASE_URL=postgres://... for real deployments.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
# Connections are kept open between requests in production (a new one costs a few ms of
# both processes' CPU); the health check replaces one the server closed meanwhile.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600 if PRODUCTION else 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at
    # BEGIN, so two concurrent sign-ons queue up instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env_str("CACHE_URL", "locmem://")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL == "dummy://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Accounts (campaign leads): email login, verified addresses, TOTP two-factor.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# allauth's rate limits (per IP, per account/email "key"); failed sign-ins and two-factor codes
# share "login_failed". They count in CACHE_URL's cache: set it to Redis with several processes.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "10/h/ip",
    "reset_password": "20/h/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/lead/"

# Signers' pages are at /c/<slug>/ in English and /es/c/<slug>/ in Spanish (config/language.py);
# the language cookie keeps a visitor's choice from the header's switcher for a year.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SECURE = PRODUCTION
# No script reads it (the site has none), so no script may.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "UTC")

STATIC_URL = "static/"
# collectstatic fills STATIC_ROOT in production; elsewhere whitenoise reads the source folders.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))) if PRODUCTION else None
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# The .ttf fonts are read from static/fonts/ by WeasyPrint for the PDFs; no page links them,
# so compressing them (brotli, twice each) only tripled the time collectstatic takes.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "ttf"]

# Background work through Django's own tasks API. "database" runs on django-tasks-db
# (worker: `manage.py db_worker`), "rq" on Redis (`manage.py rqworker`), "immediate" inline.
TASK_BACKEND = env_str("TASK_BACKEND", "database")
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
if TASK_BACKEND == "database":
    INSTALLED_APPS.append("django_tasks_db")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASK_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    import redis

    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    # django-rq makes a Redis client for every enqueue; given a URL, each one opened a new
    # connection (with its handshake) per sign-on. Every client shares this pool instead.
    # HOST and PORT are required by django-rq but unused with a pool.
    RQ_QUEUES = {
        "default": {
            "HOST": "",
            "PORT": 0,
            "REDIS_CLIENT_KWARGS": {"connection_pool": redis.ConnectionPool.from_url(REDIS_URL)},
        }
    }
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(
        f"TASK_BACKEND must be database, rq or immediate, not {TASK_BACKEND!r}"
    )

# Email. MAILER=file writes one .eml per message under var/mail/ (the local default);
# MAILER=smtp uses the EMAIL_* variables; MAILER=anymail uses ANYMAIL_BACKEND with the
# ANYMAIL_* variables (e.g. ANYMAIL_POSTMARK_SERVER_TOKEN).
MAILER = env_str("MAILER", "smtp" if PRODUCTION else "file")
MAIL_DIR = Path(env_str("MAIL_DIR", str(VAR_DIR / "mail")))
if MAILER == "file":
    MAILERS = {
        "default": {
            "BACKEND": "config.mail.EmlFileBackend",
            "OPTIONS": {"file_path": str(MAIL_DIR)},
        }
    }
elif MAILER == "console":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
elif MAILER == "smtp":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST", "127.0.0.1"),
                "port": env_int("EMAIL_PORT", 25),
                "username": env_str("EMAIL_HOST_USER") or None,
                "password": env_str("EMAIL_HOST_PASSWORD") or None,
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": env_int("EMAIL_TIMEOUT", 30),
            },
        }
    }
elif MAILER == "anymail":
    MAILERS = {
        "default": {"BACKEND": env_str("ANYMAIL_BACKEND", "anymail.backends.test.EmailBackend")}
    }
else:
    raise ImproperlyConfigured(f"MAILER must be file, console, smtp or anymail, not {MAILER!r}")
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and key != "ANYMAIL_BACKEND"
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <no-reply@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Security headers. The CSP allows nothing inline: every script and style is a file.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Request size limits: a larger body, or more fields, is refused with the 400 page as soon
# as the form is read, before anything is saved. Every form of the site is far below both.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("BEHIND_TLS_PROXY", False):
        # Only when a proxy we control sets this header and strips it from clients.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    # Paths in Django's request and CSRF warnings may hold an emailed link's token.
    "filters": {"redact_link_tokens": {"()": "config.logs.RedactLinkTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_link_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # Their INFO lines narrate every PDF build step by step: noise in a worker's log.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Sign-on (signatories). Rate limits count attempts per window in the cache (share it with
# CACHE_URL=redis://... when several processes serve); the daily email cap is in the
# database so that it survives restarts. 0 turns a limit off.
RATE_LIMIT_WINDOW_MINUTES = env_int("RATE_LIMIT_WINDOW_MINUTES", 60)
SIGNON_LIMIT_PER_IP = env_int("SIGNON_LIMIT_PER_IP", 60)
SIGNON_LIMIT_PER_EMAIL = env_int("SIGNON_LIMIT_PER_EMAIL", 5)
CODE_LIMIT_PER_IP = env_int("CODE_LIMIT_PER_IP", 30)
CODE_LIMIT_PER_EMAIL = env_int("CODE_LIMIT_PER_EMAIL", 10)
SIGNER_EMAILS_PER_DAY = env_int("SIGNER_EMAILS_PER_DAY", 5)
# At most one email per signature in this many seconds: a double click, or fifty identical
# sign-ons at once, send one email.
SIGNER_EMAIL_INTERVAL_SECONDS = env_int("SIGNER_EMAIL_INTERVAL_SECONDS", 60)
SIGNATURE_TOKEN_DAYS = env_int("SIGNATURE_TOKEN_DAYS", 7)
PENDING_SIGNATURE_DAYS = env_int("PENDING_SIGNATURE_DAYS", 30)
# The header a trusted proxy puts the client's address in (e.g. X-Forwarded-For); empty:
# REMOTE_ADDR is the client.
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "")
# Public pages and the JSON endpoint: how long browsers and shared caches may keep them.
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 60)
PUBLIC_STALE_SECONDS = env_int("PUBLIC_STALE_SECONDS", 600)
SIGNER_LIST_PAGE_SIZE = env_int("SIGNER_LIST_PAGE_SIZE", 500)

# Privacy (signatories/retention.py, signatories/data_requests.py). After a campaign is
# archived, its signers' contact data is anonymized once this many days have passed
# (`manage.py signon_housekeeping`, run daily, queues the work).
RETENTION_DAYS = env_int("RETENTION_DAYS", 90)
# How long the links of a "my data" email (a copy, erasure) work.
DATA_REQUEST_LINK_HOURS = env_int("DATA_REQUEST_LINK_HOURS", 24)
# Days a per-address daily email count (a keyed hash, never the address) is kept.
EMAIL_QUOTA_DAYS = env_int("EMAIL_QUOTA_DAYS", 2)

# Delivery of the letter to its recipients (campaigns/delivery.py). Emails to offices leave
# at most DELIVERY_RATE_PER_MINUTE a minute (0: as fast as the mailer takes them). One
# worker at a time sends a run, for DELIVERY_SLICE_SECONDS before it hands over to a fresh
# task (so other tasks get their turn); its claim lapses DELIVERY_LEASE_SECONDS after its
# last sign of life, and the next worker then takes over.
DELIVERY_RATE_PER_MINUTE = env_int("DELIVERY_RATE_PER_MINUTE", 120)
DELIVERY_SLICE_SECONDS = env_int("DELIVERY_SLICE_SECONDS", 30)
DELIVERY_LEASE_SECONDS = env_int("DELIVERY_LEASE_SECONDS", 120)

# The production layout on one machine (`manage.py production`, `make production`): gunicorn
# with WEB_CONCURRENCY processes of WEB_THREADS threads on BIND, TASK_WORKERS task workers,
# and the periodic commands when PERIODIC_JOBS (one machine of several is enough).
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 2)
WEB_THREADS = env_int("WEB_THREADS", 4)
BIND = env_str("BIND", "127.0.0.1:8000")
FORWARDED_ALLOW_IPS = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1")
TASK_WORKERS = env_int("TASK_WORKERS", 2)
PERIODIC_JOBS = env_bool("PERIODIC_JOBS", True)
