"""Settings for the annotator project, read from the environment (one module for every place).

DATABASE_URL     a SQLite file by default (db.sqlite3 beside manage.py); postgres://... for a panel
DJANGO_DB_PREPARED_STATEMENTS  PostgreSQL: "0" turns prepared statements off (behind PgBouncer)
DJANGO_DEBUG     "1" / "true" for development; off unless set
DJANGO_SECRET_KEY  required when DJANGO_DEBUG is off
DJANGO_ALLOWED_HOSTS  comma-separated; localhost names by default
MEDIA_ROOT       where pictures and thumbnails are kept (media/ beside manage.py by default)
DJANGO_MEDIA_STORAGE  "filesystem" (default) or "s3" (django-storages; AWS_* variables below)
The production settings (secure cookies, HSTS, SSL redirect, log-in lock-out, upload limits) are
listed in README.md, "Run it for a panel".
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
# Origins (scheme and host) that may POST when a proxy in front changes the Host header.
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Production transport security: on whenever debug is off, each switch overridable. A proxy that
# terminates TLS and sets X-Forwarded-Proto: https needs DJANGO_SECURE_PROXY_SSL_HEADER=1, or
# Django sees every request as plain HTTP (redirect loops, CSRF failures).
if env_flag("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_flag("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# "preload" only consents to the browsers' preload list; nothing happens until the domain is
# submitted to it. On by default so that `check --deploy` passes; turn off to withhold consent.
SECURE_HSTS_PRELOAD = env_flag("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): scripts, styles and pictures from this
# site only, no inline script or style (pages load ES modules and app.css from static/), nothing
# plugged in, never framed, forms post here. The API docs relax it for themselves only
# (config/api_docs.py). Static files and pictures: WhiteNoise answers before the middleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    # Each app depends only on those above it (tests/test_layers.py): the catalogue at the
    # bottom, the demo on top; common is imported by all and imports none.
    "common",
    "annotator",
    "reviews",
    "releases",
    "scoring",
    "agreement",
    "mistakes",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files keep their own caching; before the rest, so that every
    # answer of the app (a 413, a lock-out page too) gets its policy and its Cache-Control.
    "csp.middleware.CSPMiddleware",
    "config.headers.PrivateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.security.UploadLimitMiddleware",
    # A NUL (%00) in the path or a parameter: 400 before any view (config/request_checks.py).
    "config.request_checks.NulCharacterMiddleware",
    # A scoring upload larger than its release allows: 413 unread (scoring/upload_budget.py).
    "scoring.upload_budget.UploadBudgetMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a lock-out noticed while logging in into the "locked out" page (429).
    "axes.middleware.AxesMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reviews.context_processors.panel_roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer commits; IMMEDIATE takes the write lock at BEGIN,
    # so two writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_flag(
    "DJANGO_DB_PREPARED_STATEMENTS", default=True
):
    # Parameters bound by the server, and statements prepared after their fifth use on a
    # connection: the review API's few statements run for every image, and PostgreSQL's planning
    # of them cost more than running them. Off for a pooler in transaction mode (PgBouncer).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# In the database, so that every gunicorn worker and every app server shares it (a DRF throttle
# would count there; the log-in limits count in axes' tables); `make serve` runs createcachetable.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "annotator_cache",
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django calls it after every password change (the password page, the admin,
    # add_expert --password, changepassword, set_password), and it deletes the user's API token.
    {"NAME": "config.security.RevokeApiTokenOnPasswordChange"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out or slowed-down log-in before any password is checked.
    "config.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The client's address, for every log-in limit (axes, the page, the API): REMOTE_ADDR, or behind
# DJANGO_NUM_PROXIES proxies that each append to X-Forwarded-For, the Nth address from its right
# (DRF's NUM_PROXIES rule). Whatever stands further left was sent by the client: never trusted.
NUM_PROXIES = int(os.environ.get("DJANGO_NUM_PROXIES", 0))
if NUM_PROXIES < 0:
    raise ImproperlyConfigured("DJANGO_NUM_PROXIES must be 0 (no proxy) or the number of proxies")
# Log-in throttling (django-axes: the counts are its access attempts, in the database, so shared
# by every worker and server), applied to the log-in page, the admin's and the API token alike
# (config.security, where the rules are spelt out):
# - AXES_FAILURE_LIMIT wrong passwords for a user name from one address lock that pair (only)
#   for the cool-off: a stranger cannot lock a panel member out of their own address;
# - LOGIN_FAILURES_PER_ADDRESS failed log-ins from one address, whatever the user names, within
#   the cool-off refuse every log-in from it;
# - once a user name has AXES_FAILURE_LIMIT failures from anywhere, an address that failed for it
#   waits 1, 2, 4... seconds (at most LOGIN_MAX_DELAY) after its latest failure before trying it.
# An admin unlocks early with `manage.py axes_reset_username NAME` (or _ip ADDRESS).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("DJANGO_LOGIN_FAILURES_PER_ADDRESS", 20))
LOGIN_MAX_DELAY = timedelta(seconds=int(os.environ.get("DJANGO_LOGIN_MAX_DELAY_SECONDS", 60)))
AXES_RESET_ON_SUCCESS = True
# The cool-off runs from the lock-out: trying again while locked does not prolong it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
LOGIN_URL = "login"
# "/" lands each user by role (config.views.landing_url): experts on /review/, others on the
# leaderboard. The log-in view does the same directly; a safe ?next= wins over both.
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# API tokens (POST /api/auth/token/) expire this long after they were handed out, like a session
# (SESSION_COOKIE_AGE, two weeks); log-out and a password change delete them sooner.
API_TOKEN_TTL = timedelta(hours=int(os.environ.get("DJANGO_TOKEN_TTL_HOURS", 14 * 24)))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Pictures are served by a log-in protected view (annotator.views.picture), never as public URLs.
MEDIA_URL = "/media/"
MEDIA_STORAGE = os.environ.get("DJANGO_MEDIA_STORAGE", "filesystem").strip().lower()
if MEDIA_STORAGE == "filesystem":
    MEDIA_STORAGE_BACKEND = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Re-importing a picture writes the same name again: overwrite, never "name_abc123.JPEG".
        "OPTIONS": {"allow_overwrite": True},
    }
elif MEDIA_STORAGE == "s3":
    if not os.environ.get("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("DJANGO_MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    # Any S3-compatible store (AWS, MinIO, Ceph, R2...). The keys stay in the environment, where
    # boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY itself, out of settings dumps.
    MEDIA_STORAGE_BACKEND = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "location": os.environ.get("AWS_LOCATION", ""),
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE") or None,
            # Private objects; a URL, if one is ever made, is signed and expires. Pictures reach
            # users only through the log-in protected view, which reads them via the storage API.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": True,
        },
    }
else:
    raise ImproperlyConfigured(
        f"DJANGO_MEDIA_STORAGE is {MEDIA_STORAGE!r}: use 'filesystem' or 's3'"
    )
STORAGES = {
    "default": MEDIA_STORAGE_BACKEND,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # DRF's TokenAuthentication, reading the user's groups in the same statement.
        "config.authentication.PanelTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.handle_exception",
    # The client's address for any DRF throttle: the same rule as the log-in limits above.
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ImageNet multi-label review API",
    "DESCRIPTION": "The catalogue of classes and validation images, the testbed models and the "
    "candidate labels they propose.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from the drf-spectacular-sidecar package: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.api_schema.document_common_errors",
    ],
}

# Request bodies: one upload (a whole multipart request) may be this large, other bodies (forms,
# JSON) DATA_UPLOAD_MAX_MEMORY_SIZE; larger ones get a 413 naming the limit before anything is
# read (config.security.UploadLimitMiddleware). Files above FILE_UPLOAD_MAX_MEMORY_SIZE are
# spooled to a temporary file instead of memory.
ANNOTATOR_MAX_UPLOAD_BYTES = int(os.environ.get("ANNOTATOR_MAX_UPLOAD_BYTES", 64 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DJANGO_FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440))
# Uploads of predictions to score (the leaderboard's form and the evaluate API together) per
# user, counted in CACHES like the token throttle; reading one stops with a 400 past the seconds
# (scoring/upload_throttle.py, annotator/prediction_files.UploadLimits).
ANNOTATOR_UPLOAD_RATE = os.environ.get("ANNOTATOR_UPLOAD_RATE", "5/minute")
ANNOTATOR_UPLOAD_SECONDS = float(os.environ.get("ANNOTATOR_UPLOAD_SECONDS", 2))

# Pictures larger than this many pixels are refused as decompression bombs.
ANNOTATOR_MAX_IMAGE_PIXELS = int(os.environ.get("ANNOTATOR_MAX_IMAGE_PIXELS", 64_000_000))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
