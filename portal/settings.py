"""Settings for the attribute portal, read from environment variables.

Every variable is listed with a comment in .env.example. A missing or malformed
value stops the portal at start-up with a message that says how to fix it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from portal import envfile
from portal.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_optional,
    env_path,
    env_str,
    env_url,
)
from portal.logs import log_format

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# What `make demo` or `make serve` ran with (PORTAL_ENV_FILE, which manage.py points at
# var/portal.env), so that commands run as written after them; the environment wins.
PORTAL_ENV_FILE_READ = envfile.load()

DEBUG = env_bool("DEBUG", False)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-do-not-use-in-production")
else:
    SECRET_KEY = env_str(
        "SECRET_KEY",
        required=True,
        hint=(
            "With DEBUG off the portal needs a long random secret, e.g. "
            "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'). "
            "For local development set DEBUG=true instead."
        ),
    )
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY is shorter than 32 characters. Generate a long random one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

# The key that seals each audit record's outcome (an HMAC). It never goes in the database,
# so nobody with only database access can turn a "failed" into a "succeeded" unnoticed.
# Rotating it: README.md, "The audit log".
if DEBUG:
    PORTAL_AUDIT_KEY = env_str(
        "PORTAL_AUDIT_KEY", "insecure-development-audit-key-not-for-production"
    )
else:
    PORTAL_AUDIT_KEY = env_str(
        "PORTAL_AUDIT_KEY",
        required=True,
        hint=(
            "It seals the outcomes in the audit log and must stay the same across restarts. "
            "Generate one with python3 -c 'import secrets; print(secrets.token_urlsafe(50))' "
            "and keep it outside the database (PORTAL_AUDIT_KEY_FILE reads it from a file)."
        ),
    )
    if len(PORTAL_AUDIT_KEY) < 32:
        raise ImproperlyConfigured(
            "PORTAL_AUDIT_KEY is shorter than 32 characters. Generate a long random one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
# Earlier keys, still accepted when verifying outcomes they sealed.
PORTAL_AUDIT_KEY_FALLBACKS = env_list("PORTAL_AUDIT_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is empty. Set it to the host names the portal is served under, "
        "e.g. ALLOWED_HOSTS=portal.example.com."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "portal",
    "attributes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.GraphErrorMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
            # |bdi and |isolated: every value from Graph or from people is shown isolated.
            "builtins": ["portal.templatetags.isolation"],
        },
    },
]

# Databases ----------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes SQLite's write lock when a transaction starts, so two writers can
    # never read the same audit-chain head and then both append after it.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Users, sessions and sign-in ----------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = ["portal.auth.backends.EntraBackend"]
LOGIN_URL = "auth:sign_in"
LOGIN_REDIRECT_URL = "/"

# Sessions hold each person's MSAL token cache, so they must stay on the server. The
# engine is Django's db backend with the token cache's owner in indexed columns
# (portal/auth/sessions.py); django.contrib.sessions stays installed for its middleware
# and because portal's migration 0002 copies the live sessions out of its table.
SESSION_ENGINE = "portal.auth.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: the identity provider redirects back to the callback with a top-level
# GET (response_mode=query), which must carry the session that holds the auth flow.
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "portal_session"
CSRF_COOKIE_HTTPONLY = True
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES

# Security headers ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Probes from a load balancer or the container's HEALTHCHECK come over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Asking browsers to preload HSTS is hard to undo, so it is the operator's explicit choice.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Entra ID and Microsoft Graph ---------------------------------------------------------
PORTAL_TENANT_ID = env_str("PORTAL_TENANT_ID", "organizations")
PORTAL_CLIENT_ID = env_str(
    "PORTAL_CLIENT_ID",
    required=True,
    hint=(
        "Set it to the Application (client) ID of the portal's app registration. "
        "`make demo` sets it for the bundled emulator; README.md explains the real-tenant setup."
    ),
)
PORTAL_CLIENT_SECRET = env_optional("PORTAL_CLIENT_SECRET")
PORTAL_CLIENT_CERTIFICATE = env_path("PORTAL_CLIENT_CERTIFICATE")
PORTAL_CLIENT_CERTIFICATE_THUMBPRINT = env_optional("PORTAL_CLIENT_CERTIFICATE_THUMBPRINT")
if not PORTAL_CLIENT_SECRET and not PORTAL_CLIENT_CERTIFICATE:
    raise ImproperlyConfigured(
        "The portal needs a client credential: set PORTAL_CLIENT_SECRET, or "
        "PORTAL_CLIENT_CERTIFICATE (a PEM file with the private key and certificate) "
        "together with PORTAL_CLIENT_CERTIFICATE_THUMBPRINT."
    )
if PORTAL_CLIENT_CERTIFICATE and not PORTAL_CLIENT_CERTIFICATE_THUMBPRINT:
    raise ImproperlyConfigured(
        "PORTAL_CLIENT_CERTIFICATE is set but PORTAL_CLIENT_CERTIFICATE_THUMBPRINT is not. "
        "Set it to the SHA-1 thumbprint shown for the certificate in the app registration."
    )
PORTAL_AUTHORITY = env_url(
    "PORTAL_AUTHORITY", f"https://login.microsoftonline.com/{PORTAL_TENANT_ID}"
)
PORTAL_GRAPH_URL = env_url("PORTAL_GRAPH_URL", "https://graph.microsoft.com")
PORTAL_CA_BUNDLE = env_path("PORTAL_CA_BUNDLE")
PORTAL_HTTP_PROXY = env_optional("PORTAL_HTTP_PROXY")
PORTAL_HTTP_TIMEOUT = env_float("PORTAL_HTTP_TIMEOUT", 15.0, minimum=1.0)
# How long one Graph call may spend retrying throttled or unavailable responses in total.
PORTAL_GRAPH_RETRY_BUDGET = env_float("PORTAL_GRAPH_RETRY_BUDGET", 20.0, minimum=0.0)
PORTAL_REDIRECT_URI = env_optional("PORTAL_REDIRECT_URI")
# A person's Entra roles are read again once they are older than this (seconds), so a
# role removed in Entra stops opening the portal's own data within minutes.
PORTAL_ROLES_MAX_AGE = env_int("PORTAL_ROLES_MAX_AGE", 300, minimum=0)
PORTAL_POST_LOGOUT_REDIRECT_URI = env_optional("PORTAL_POST_LOGOUT_REDIRECT_URI")
# With DEBUG off the portal refuses to start with the emulator's demo tenant or client
# (portal/checks.py) unless this is set; only `make serve` against the emulator sets it.
PORTAL_ALLOW_DEMO_CLIENT = env_bool("PORTAL_ALLOW_DEMO_CLIENT", False)

# Bulk jobs ----------------------------------------------------------------------------
# Django's tasks framework with the database queue; `manage.py db_worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Graph's write quota per app and tenant (graph-api.md §11.5), as WRITES/SECONDS. Every
# job, worker and person in the tenant shares it (portal.write_budget).
_quota = env_str("PORTAL_WRITE_QUOTA", "3000/150")
try:
    _writes, _seconds = (float(part) for part in _quota.split("/"))
except ValueError:
    _writes = _seconds = 0.0
if _writes < 1 or _seconds <= 0:
    raise ImproperlyConfigured(
        f"PORTAL_WRITE_QUOTA is {_quota!r}; write it as WRITES/SECONDS, e.g. 3000/150 "
        "(Graph's write quota per app and tenant)."
    )
PORTAL_WRITE_QUOTA = (int(_writes), _seconds)
# A job's worker renews its lease as it runs; a job whose worker died is taken over by
# another once this many seconds pass without a renewal.
PORTAL_JOB_LEASE_SECONDS = env_float("PORTAL_JOB_LEASE_SECONDS", 30.0, minimum=1.0)
# The first wait before an item Graph did not confirm (5xx, no answer) is read and sent
# again; each further attempt waits twice as long, up to 30 s.
PORTAL_JOB_BACKOFF_SECONDS = env_float("PORTAL_JOB_BACKOFF_SECONDS", 1.0, minimum=0.0)
# A worker runs one job this long at a time, then lets the next job in the queue have a turn.
PORTAL_JOB_SLICE_SECONDS = env_float("PORTAL_JOB_SLICE_SECONDS", 20.0, minimum=1.0)

# Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Content Security Policy: scripts only from this site or with the per-response nonce,
# no inline styles, no framing. The sign-out form redirects to the identity provider,
# and browsers apply form-action to that redirect too.
_authority = urlsplit(PORTAL_AUTHORITY)
PORTAL_CSP_FORM_ACTION = env_list(
    "PORTAL_CSP_FORM_ACTION", [f"{_authority.scheme}://{_authority.netloc}"]
)
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF, *PORTAL_CSP_FORM_ACTION],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# Logging: the request id on every line; tokens never reach a log line (see portal.graph),
# nor does any query string's values (see portal.log_redaction). LOG_FORMAT=json writes one
# JSON object a line (portal.logs), the default with DEBUG off; plain is for make demo.
LOG_FORMAT = log_format(DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "portal.correlation.CorrelationIdLogFilter"},
        "redact_query_strings": {"()": "portal.log_redaction.RedactQueryStringsFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"},
        "json": {"()": "portal.logs.JsonFormatter"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context", "redact_query_strings"],
        },
        # Django's own handler for runserver's request lines, declared again because
        # configuring the django.server logger here replaces its handlers.
        "django.server": {
            "level": "INFO",
            "class": "logging.StreamHandler",
            "formatter": "django.server",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "msal": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        # runserver (make demo) writes every request line here; the filter sits on the
        # logger so that every handler, not only Django's, gets the redacted line.
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_query_strings"],
        },
    },
}
