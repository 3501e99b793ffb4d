"""ShopWatch settings: one module, driven by environment variables.

Embedded defaults (SQLite, local files, in-process task worker) need no configuration.
Production (``SHOPWATCH_ENV=production``) refuses to start without its secrets.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import xstatic.pkg.leaflet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("SHOPWATCH_ENV", "development")
PRODUCTION = ENV == "production"
TESTING = ENV == "test"

DATA_DIR = Path(os.environ.get("SHOPWATCH_DATA_DIR", BASE_DIR.parent / "var")).resolve()


def _data_dir_unusable(exc: OSError) -> ImproperlyConfigured:
    """Said instead of a traceback when the data directory cannot be made or written (read-only, full)."""
    return ImproperlyConfigured(
        f"The data directory {DATA_DIR} cannot be written ({exc.strerror or exc}). ShopWatch keeps its "
        "database, stored files and generated keys there: make it writable by the user that runs ShopWatch, "
        "or point SHOPWATCH_DATA_DIR at one that is."
    )


try:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
except OSError as _exc:
    raise _data_dir_unusable(_exc) from _exc


def _env_list(name: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, "").split(",") if v.strip()]


def _dev_secret_key() -> str:
    """A generated key kept in the data directory, so sessions survive restarts."""
    path = DATA_DIR / "secret_key"
    try:
        if not path.exists():
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        return path.read_text().strip()
    except OSError as exc:
        raise _data_dir_unusable(exc) from exc


def _secret_key_problem(key: str) -> str | None:
    """Why a production secret key is too weak to sign sessions and derive keys, or None."""
    if not key:
        return "it is not set"
    if len(key) < 50:
        return f"it has {len(key)} characters, fewer than 50"
    if key.startswith("django-insecure-"):
        return "it is Django's insecure development key"
    if len(set(key)) < 10:
        return f"it uses only {len(set(key))} different characters, fewer than 10"
    if max(key.count(c) for c in set(key)) > len(key) / 4:
        return "one character makes up more than a quarter of it"
    return None


def _secrets_key_problem(value: str) -> str | None:
    """Why SHOPWATCH_SECRETS_KEY cannot encrypt stored secrets, or None."""
    from cryptography.fernet import Fernet

    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        return "it is not set"
    for k in keys:
        try:
            Fernet(k.encode())
        except ValueError:
            return "it is not a list of Fernet keys (32 url-safe base64-encoded bytes each)"
    return None


if PRODUCTION:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
    ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS")
    if problem := _secret_key_problem(SECRET_KEY):
        raise ImproperlyConfigured(
            f"Production needs a random DJANGO_SECRET_KEY, and {problem}: use at least 50 characters, none "
            "repeated often: `python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production needs DJANGO_ALLOWED_HOSTS (a list of host names, never '*').")
    if problem := _secrets_key_problem(os.environ.get("SHOPWATCH_SECRETS_KEY", "")):
        raise ImproperlyConfigured(
            f"Production needs SHOPWATCH_SECRETS_KEY (the Fernet key encrypting stored secrets, apart from "
            f"DJANGO_SECRET_KEY so each can rotate), and {problem}: make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _dev_secret_key()
    ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS") or ["127.0.0.1", "localhost", "testserver", "[::1]"]
    DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # django-ninja's own static files: /api/v1/docs loads Swagger UI from this site, not a CDN
    "shopwatch.core",
    "shopwatch.subjects",
    "shopwatch.reporting",
    "shopwatch.evidence",
    "shopwatch.opendata",
    "shopwatch.policing",
    "shopwatch.insights",
    "shopwatch.alerts",
    "shopwatch.intelligence",
    "shopwatch.uploads",
    "shopwatch.linking",
    "shopwatch.faces",
    "shopwatch.navigator",
    "shopwatch.marking",
    "shopwatch.assessments",
    "shopwatch.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "shopwatch.core.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # A full disk, unwritable storage or an overloaded database: a problem document (API) or a plain page,
    # with Retry-After, instead of a 500 (shopwatch/core/faults.py).
    "shopwatch.core.faults.FaultMiddleware",
]

ROOT_URLCONF = "shopwatch.urls"
WSGI_APPLICATION = "shopwatch.wsgi.application"
# The assembled API (`shopwatch openapi` reads it from here, as Django reads ROOT_URLCONF).
SHOPWATCH_API = "shopwatch.api.api"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shopwatch.core.context_processors.viewer",
            ],
        },
    },
]

# --- Database: SQLite embedded by default, PostgreSQL through DATABASE_URL -----------------
_sqlite_default = f"sqlite:///{DATA_DIR / 'shopwatch.sqlite3'}"
# Request threads are few and long-lived (shopwatch.core.asgi), so each keeps its connection between requests
# rather than opening one per request (on SQLite that open costs about a quarter of a report's CPU).
# SHOPWATCH_DB_CONN_MAX_AGE=0 opens one per request.
_conn_max_age = int(os.environ.get("SHOPWATCH_DB_CONN_MAX_AGE", "60"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _sqlite_default), conn_max_age=_conn_max_age, conn_health_checks=True
    )
}
_sqlite_synchronous = os.environ.get("SHOPWATCH_SQLITE_SYNCHRONOUS", "FULL").upper()
if _sqlite_synchronous not in ("FULL", "NORMAL"):
    raise ImproperlyConfigured("SHOPWATCH_SQLITE_SYNCHRONOUS must be FULL (the default) or NORMAL.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend whose BEGIN IMMEDIATE takes the write lock as soon as it frees
    # (docs/decisions/0006-sqlite-write-lock.md).
    DATABASES["default"]["ENGINE"] = "shopwatch.core.db.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so
        # concurrent writers queue for it instead of failing with "database is locked" half-way.
        # synchronous=FULL syncs the WAL at every commit, so an acknowledged write survives power loss, not
        # only a killed process (docs/operations.md; NORMAL, faster, only the latter).
        "init_command": (
            f"PRAGMA journal_mode=WAL; PRAGMA synchronous={_sqlite_synchronous}; "
            "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32000;"
        ),
        "transaction_mode": "IMMEDIATE",
        # Seconds a statement waits for the write lock (SQLite's busy timeout), and the deadline for BEGIN.
        "timeout": 10,
    }
    # Tests run on a file beside the data, not in memory: each live-server thread then opens its own
    # connection, as in production (an in-memory test database is one connection shared by all threads).
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sign in once on a phone and stay signed in: a 90-day rolling session on that device.
SESSION_COOKIE_AGE = int(os.environ.get("SHOPWATCH_SESSION_DAYS", "90")) * 24 * 3600
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Reverse proxies whose X-Forwarded-For (and X-Forwarded-Proto) the web server believes: comma-separated
# addresses or networks. Empty (the default): nobody's, so the client address that sign-in lock-out, rate
# limits and the audit trail see is the connection's own and cannot be chosen by the client.
SHOPWATCH_TRUSTED_PROXIES = _env_list("SHOPWATCH_TRUSTED_PROXIES")
for _proxy in SHOPWATCH_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"SHOPWATCH_TRUSTED_PROXIES: {_proxy!r} is not an address or network (10.0.0.5, 10.0.0.0/24)."
        ) from _exc

# Sign-in throttling and lock-out (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("SHOPWATCH_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("SHOPWATCH_LOGIN_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "ShopWatch"

# --- Security headers -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SHOPWATCH_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# --- Maps ------------------------------------------------------------------------------------
# The tile server under the dashboards' maps (empty: none; the app's own outlines are always drawn).
SHOPWATCH_MAP_TILES_URL = os.environ.get(
    "SHOPWATCH_MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
).strip()
SHOPWATCH_MAP_TILES_ATTRIBUTION = os.environ.get(
    "SHOPWATCH_MAP_TILES_ATTRIBUTION", "© OpenStreetMap contributors"
).strip()


def _tile_origin(url: str) -> list[str]:
    """The origin the page's CSP must allow images from for the tile URL (``{s}`` subdomains: any)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if not url or scheme not in ("http", "https") or not host:
        return []
    if "{s}" in host:
        host = "*." + host.split("{s}.", 1)[-1]
    return [f"{scheme}://{host}"]


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *_tile_origin(SHOPWATCH_MAP_TILES_URL)],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Files -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
try:
    STATIC_ROOT.mkdir(exist_ok=True)
except OSError as _exc:
    raise _data_dir_unusable(_exc) from _exc
# The project-wide stylesheet and scripts live in shopwatch/static (not inside an app).
# Leaflet's files (xstatic-leaflet) are served under static/leaflet/ for the dashboards' maps.
STATICFILES_DIRS: list[Any] = [BASE_DIR / "static", ("leaflet", xstatic.pkg.leaflet.BASE_DIR)]
MEDIA_ROOT = DATA_DIR / "files"
MEDIA_URL = "/media-not-served/"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if os.environ.get("SHOPWATCH_S3_BUCKET"):
    # Any S3-compatible object store, chosen by configuration.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["SHOPWATCH_S3_BUCKET"],
            "endpoint_url": os.environ.get("SHOPWATCH_S3_ENDPOINT_URL") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
if TESTING or DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("SHOPWATCH_MAX_BODY_BYTES", str(5 * 1024 * 1024)))
SHOPWATCH_MAX_PHOTO_BYTES = int(os.environ.get("SHOPWATCH_MAX_PHOTO_BYTES", str(25 * 1024 * 1024)))

# --- Resumable uploads (tus 1.0 at /api/v1/uploads) -------------------------------------------
# Fernet key(s) encrypting stored secrets (force hand-off HMAC secrets); comma-separated, newest first, to
# rotate. Empty: a key derived from SECRET_KEY (set this in production so SECRET_KEY can rotate on its own).
SHOPWATCH_SECRETS_KEY = os.environ.get("SHOPWATCH_SECRETS_KEY", "")
SHOPWATCH_MAX_UPLOAD_BYTES = int(os.environ.get("SHOPWATCH_MAX_UPLOAD_BYTES", str(10 * 1024**3)))
# An upload with no bytes arriving for this long is abandoned: its partial file is deleted.
SHOPWATCH_UPLOAD_ABANDON_HOURS = float(os.environ.get("SHOPWATCH_UPLOAD_ABANDON_HOURS", "24"))
# With an S3 object store, tus uploads go into an S3 multipart upload in parts of this size (at least 5 MiB,
# S3's minimum; larger for files that would need more than 10,000 parts): a web host keeps at most one part.
SHOPWATCH_UPLOAD_PART_BYTES = int(os.environ.get("SHOPWATCH_UPLOAD_PART_BYTES", str(8 * 1024 * 1024)))
# A ZIP export may unpack to at most this many bytes, and no entry may compress better than the ratio.
SHOPWATCH_ZIP_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("SHOPWATCH_ZIP_MAX_UNCOMPRESSED_BYTES", str(50 * 1024**3))
)
SHOPWATCH_ZIP_MAX_RATIO = int(os.environ.get("SHOPWATCH_ZIP_MAX_RATIO", "100"))
SHOPWATCH_UPLOAD_LINK_HOURS = int(os.environ.get("SHOPWATCH_UPLOAD_LINK_HOURS", "72"))

# --- Outbound requests to addresses users give (web push, force hand-off): shopwatch.core.netguard ----------
# Web push endpoints must be hosts of these domains (comma-separated; "*": any public host name). Unset: the
# browsers' push services (shopwatch.alerts.push.DEFAULT_PUSH_SERVICE_DOMAINS).
SHOPWATCH_PUSH_SERVICE_DOMAINS = _env_list("SHOPWATCH_PUSH_SERVICE_DOMAINS") or None
# Tests and development only: let outbound requests reach a receiver on this machine (127.0.0.0/8, ::1).
SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK = (
    not PRODUCTION and os.environ.get("SHOPWATCH_OUTBOUND_ALLOW_LOOPBACK", "0") == "1"
)

# --- Background work ---------------------------------------------------------------------------
# SHOPWATCH_RQ_URL (redis://host:6379/0) puts background work on a Redis queue through django-tasks-rq;
# `shopwatch rqworker default --job-class django_tasks_rq.Job` runs it; `shopwatch serve` then starts no
# worker (docs/deployment.md).
SHOPWATCH_RQ_URL = os.environ.get("SHOPWATCH_RQ_URL", "")
_tasks_default = "django_tasks_rq.RQBackend" if SHOPWATCH_RQ_URL else "django_tasks_db.DatabaseBackend"
TASKS = {
    "default": {
        "BACKEND": os.environ.get("SHOPWATCH_TASKS_BACKEND", _tasks_default),
    }
}
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    if not SHOPWATCH_RQ_URL:
        raise ImproperlyConfigured("The RQ task backend needs SHOPWATCH_RQ_URL (redis://host:port/db).")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": SHOPWATCH_RQ_URL, "DEFAULT_TIMEOUT": 3600}}
    RQ_SHOW_ADMIN_LINK = False

# --- Cache (rate limits); configure Redis with SHOPWATCH_CACHE_URL when running several hosts ----
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shopwatch"}}
if os.environ.get("SHOPWATCH_CACHE_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["SHOPWATCH_CACHE_URL"],
    }

# --- Email: an SMTP server through SHOPWATCH_SMTP_*; without one, each email is kept as a file -----------
# In the data directory's outbox/ (the embedded default: the demo and a trial sends nothing out, and nothing
# is lost). Failed sends are retried by a task (shopwatch/core/mail.py).
DEFAULT_FROM_EMAIL = os.environ.get("SHOPWATCH_EMAIL_FROM", "ShopWatch <alerts@shopwatch.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("SHOPWATCH_SMTP_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["SHOPWATCH_SMTP_HOST"]
    EMAIL_PORT = int(os.environ.get("SHOPWATCH_SMTP_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("SHOPWATCH_SMTP_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("SHOPWATCH_SMTP_PASSWORD", "")
    _smtp_security = os.environ.get("SHOPWATCH_SMTP_SECURITY", "starttls").lower()
    if _smtp_security not in ("starttls", "tls", "none"):
        raise ImproperlyConfigured("SHOPWATCH_SMTP_SECURITY must be starttls (the default), tls or none.")
    EMAIL_USE_TLS = _smtp_security == "starttls"
    EMAIL_USE_SSL = _smtp_security == "tls"
    EMAIL_TIMEOUT = int(os.environ.get("SHOPWATCH_SMTP_TIMEOUT", "20"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox")

# --- API ---------------------------------------------------------------------------------------
# Requests per second allowed for one API key (a retailer's incident system sends bursts).
SHOPWATCH_API_RATE_LIMIT = int(os.environ.get("SHOPWATCH_API_RATE_LIMIT", "300"))
SHOPWATCH_API_PAGE_SIZE = 100
# How long an API key's entitlements are reused before being worked out again (changes made through
# ShopWatch take effect at once; 0 turns the cache off).
SHOPWATCH_ENTITLEMENT_CACHE_SECONDS = int(os.environ.get("SHOPWATCH_ENTITLEMENT_CACHE_SECONDS", "30"))
SHOPWATCH_BATCH_MAX = 500
NINJA_PAGINATION_CLASS = "ninja.pagination.LimitOffsetPagination"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Upload-link tokens travel in the address: no log keeps them (shopwatch.core.logredact).
    "filters": {"redact_secrets": {"()": "shopwatch.core.logredact.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "loggers": {"django.request": {"filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("SHOPWATCH_LOG_LEVEL", "WARNING")},
}
