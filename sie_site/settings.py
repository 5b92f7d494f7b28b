"""Settings for the SIE control plane: environment variables only (12-factor).

Embedded default (nothing set): SQLite in WAL mode under var/, a filesystem Celery broker
and a file cache, so web, worker and beat run as separate processes with no server.
Production (ENVIRONMENT=production): DATABASE_URL and REDIS_URL are required.
"""

from __future__ import annotations

import os
from ipaddress import ip_network
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from sie_site import logs

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SIE_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if required:
        raise ImproperlyConfigured(f"environment variable {name} is required in production")
    return default if default is not None else ""


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be >= {minimum}")
    return value


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None


# Fail closed: only an explicit ENVIRONMENT=development (or test, which the test session sets)
# relaxes anything. Unset means production: DEBUG off, a real SECRET_KEY and ALLOWED_HOSTS.
ENVIRONMENT = env_str("ENVIRONMENT", "production")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"ENVIRONMENT={ENVIRONMENT!r}: use development, test or production")
PRODUCTION = ENVIRONMENT == "production"

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"
DEBUG = env_bool("DEBUG", ENVIRONMENT == "development")
if DEBUG and PRODUCTION:
    # The debug page shows settings such as DATABASE_URL, credentials included.
    raise ImproperlyConfigured("DEBUG=true is refused in production; set ENVIRONMENT=development")
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY, required=PRODUCTION)
# The same rule as Django's security.W009 (check --deploy).
_WEAK_KEY = SECRET_KEY == DEV_SECRET_KEY or len(set(SECRET_KEY)) < 5 or len(SECRET_KEY) < 50
if PRODUCTION and _WEAK_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be a random value of at least 50 characters in production "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )
ALLOWED_HOSTS = env_str("ALLOWED_HOSTS", "*" if not PRODUCTION else "").split(",")
if PRODUCTION and ALLOWED_HOSTS == [""]:
    raise ImproperlyConfigured("environment variable ALLOWED_HOSTS is required in production")
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "sie_site.apps.SieSiteConfig",
    "django_structlog",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "ingestion",
    "runbooks",
    "slo",
    "incidents",
    "dashboards",
]

MIDDLEWARE = [
    "sie_site.middleware.RequestIdMiddleware",
    # Times each request once for Prometheus and for the SLO request telemetry.
    "sie_site.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Inside WhiteNoise (static files get no request line), outside everything that can answer.
    "django_structlog.middlewares.RequestMiddleware",
    # Before the session and CSRF: a locked-out address gets 429 without touching either.
    "sie_site.middleware.AdminLoginThrottleMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sie_site.urls"
WSGI_APPLICATION = "sie_site.wsgi.application"

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
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------
SQLITE_DEFAULT = VAR_DIR / "sie.sqlite3"
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{SQLITE_DEFAULT}", required=PRODUCTION)
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
    # two processes never deadlock upgrading read locks; the timeout waits instead of failing.
    _db["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["OPTIONS"] = {
        "pool": {
            "min_size": env_int("SIE_DB_POOL_MIN", 2),
            "max_size": env_int("SIE_DB_POOL_MAX", 10, minimum=1),
            "timeout": env_float("SIE_DB_POOL_TIMEOUT", 5.0),
        },
    }
else:
    raise ImproperlyConfigured(f"DATABASE_URL: unsupported engine {_db['ENGINE']}")
# PgBouncer in transaction mode (SIE_DB_PGBOUNCER=true, DATABASE_URL pointing at PgBouncer):
# a server connection is ours for one transaction only, so nothing may outlive one. No
# server-side cursors (a WITH HOLD cursor would stay on a backend another client gets next)
# and no prepared statements (psycopg would PREPARE on one backend and EXECUTE on another).
# The time zone Django SETs per connection is safe: PgBouncer tracks TimeZone per client.
SIE_DB_PGBOUNCER = env_bool("SIE_DB_PGBOUNCER", False)
if SIE_DB_PGBOUNCER:
    if _db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("SIE_DB_PGBOUNCER=true needs a postgres:// DATABASE_URL")
    _db["DISABLE_SERVER_SIDE_CURSORS"] = True
    _db["OPTIONS"]["prepare_threshold"] = None
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, cache, throttle counters, circuit-breaker state -----------------------
REDIS_URL = env_str("REDIS_URL", "", required=PRODUCTION)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("SIE_CACHE_PREFIX", "sie"),
        }
    }
else:
    # A file cache is shared by every local process (throttle counters must be).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery ------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    # kombu's filesystem transport with atomic message writes (see sie_site/broker.py).
    CELERY_BROKER_TRANSPORT = "sie_site.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Fan-out exchanges (celery inspect/control); kombu's default is ./control.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
# Fail fast when the broker is down: accepted rows are already committed and the sweeper
# re-queues them, so a request must not wait on broker reconnects.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("SIE_TASKS_EAGER", False)
# Two queues (cross-team decision 1): "celery" (default: enrichment, sweeps, SLO evaluation)
# and "alerting" (incident/PagerDuty tasks, `queue="alerting"` on the task), so a mention
# backlog never delays a page. A plain worker consumes both; `-Q alerting` runs a dedicated one.
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Explicit routing keys: left out, Celery binds "alerting" to the default exchange under the
# key "celery" as well (visible in the worker banner); tests/sie_site/test_queues.py checks
# that each message lands in exactly one queue.
CELERY_TASK_QUEUES = (
    Queue("celery", routing_key="celery"),
    Queue("alerting", routing_key="alerting"),
)

# --- SIE plan -----------------------------------------------------------------------------
SIE_MAX_WORKERS = env_int("SIE_MAX_WORKERS", 4, minimum=1)
SIE_WORKER_CONCURRENCY = env_int("SIE_WORKER_CONCURRENCY", 2, minimum=1)
SIE_QUEUE_MAX_SIZE = env_int("SIE_QUEUE_MAX_SIZE", 10000, minimum=1)
SIE_RATE_LIMIT_ENABLED = env_bool("SIE_RATE_LIMIT_ENABLED", True)
# Requests per hour per customer, by tier; SIE_DEFAULT_RATE_LIMIT overrides the starter tier.
SIE_DEFAULT_RATE_LIMIT = env_int("SIE_DEFAULT_RATE_LIMIT", 100, minimum=1)
SIE_TIER_RATE_LIMITS = {
    "starter": SIE_DEFAULT_RATE_LIMIT,
    "pro": env_int("SIE_PRO_RATE_LIMIT", 1000, minimum=1),
    "enterprise": env_int("SIE_ENTERPRISE_RATE_LIMIT", 10000, minimum=1),
}
# Per-process memory of API keys and projects seen in the last N seconds: two database round
# trips less per ingest request, at the price of a revoked key working up to N s longer in
# other processes. 0 turns it off.
SIE_AUTH_CACHE_SECONDS = env_int("SIE_AUTH_CACHE_SECONDS", 10)
SIE_CB_FAILURE_THRESHOLD = env_int("SIE_CB_FAILURE_THRESHOLD", 5, minimum=1)
SIE_CB_RECOVERY_TIMEOUT = env_int("SIE_CB_RECOVERY_TIMEOUT", 60, minimum=1)
SIE_METRICS_ENABLED = env_bool("SIE_METRICS_ENABLED", True)
SIE_TRACING_ENABLED = env_bool("SIE_TRACING_ENABLED", False)
OTEL_EXPORTER_OTLP_ENDPOINT = env_str("OTEL_EXPORTER_OTLP_ENDPOINT", "")
SIE_ENRICH_BATCH_SIZE = env_int("SIE_ENRICH_BATCH_SIZE", 200, minimum=1)
SIE_ENRICH_MAX_RETRIES = env_int("SIE_ENRICH_MAX_RETRIES", 5)
SIE_SWEEP_AFTER_SECONDS = env_int("SIE_SWEEP_AFTER_SECONDS", 120, minimum=1)
# Pull model (issue 8): a worker leases pending rows for SIE_ENRICH_LEASE_SECONDS; a killed
# worker's rows are claimed again after that. One batch's NLP stops after
# SIE_ENRICH_BATCH_SECONDS (the rest is released); one task drains for SIE_ENRICH_RUN_SECONDS;
# requests publish at most one wake-up message per SIE_ENRICH_NUDGE_SECONDS.
SIE_ENRICH_LEASE_SECONDS = env_int("SIE_ENRICH_LEASE_SECONDS", 60, minimum=1)
SIE_ENRICH_BATCH_SECONDS = env_float(
    "SIE_ENRICH_BATCH_SECONDS", min(5.0, SIE_ENRICH_LEASE_SECONDS / 2)
)
SIE_ENRICH_RUN_SECONDS = env_float("SIE_ENRICH_RUN_SECONDS", 10.0)
SIE_ENRICH_NUDGE_SECONDS = env_int("SIE_ENRICH_NUDGE_SECONDS", 5, minimum=1)
if SIE_ENRICH_LEASE_SECONDS <= SIE_ENRICH_BATCH_SECONDS:
    raise ImproperlyConfigured("SIE_ENRICH_LEASE_SECONDS must exceed SIE_ENRICH_BATCH_SECONDS")
# Retention (ingestion/retention.py, Beat hourly): mentions received more than N days ago are
# deleted in batches (roll-ups stay); 0 keeps them forever. One run deletes at most
# BATCH_SIZE x MAX_BATCHES rows, so a large backlog is worked off over several runs.
SIE_MENTION_RETENTION_DAYS = env_int("SIE_MENTION_RETENTION_DAYS", 395)
SIE_RETENTION_BATCH_SIZE = env_int("SIE_RETENTION_BATCH_SIZE", 5000, minimum=1)
SIE_RETENTION_MAX_BATCHES = env_int("SIE_RETENTION_MAX_BATCHES", 200, minimum=1)
# Optional remote AI enricher (an HTTP model endpoint); empty = local NLP only.
SIE_AI_URL = env_str("SIE_AI_URL", "").rstrip("/")
SIE_AI_MODEL_FAST = env_str("SIE_AI_MODEL_FAST", "sie-fast")
SIE_AI_MODEL_COMPLEX = env_str("SIE_AI_MODEL_COMPLEX", "sie-complex")
SIE_AI_COMPLEX_MIN_CHARS = env_int("SIE_AI_COMPLEX_MIN_CHARS", 1000, minimum=1)
SIE_AI_TIMEOUT = env_float("SIE_AI_TIMEOUT", 2.0)

PAGERDUTY_EVENTS_URL = env_str("PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com")
PAGERDUTY_CA_BUNDLE = env_str("PAGERDUTY_CA_BUNDLE", "")
PAGERDUTY_WEBHOOK_SECRET = env_str("PAGERDUTY_WEBHOOK_SECRET", "")

# --- Alerting and PagerDuty (incidents/) ---------------------------------------------------
# Used when a paging service has no routing key of its own (and by Alertmanager alerts that
# name no known service); empty = such incidents are recorded but page nobody.
PAGERDUTY_DEFAULT_ROUTING_KEY = env_str("PAGERDUTY_DEFAULT_ROUTING_KEY", "")
PAGERDUTY_TIMEOUT_SECONDS = env_float("PAGERDUTY_TIMEOUT_SECONDS", 10.0)
# The Events API takes ~120 events a minute per integration key and drops the rest with 429.
PAGERDUTY_EVENTS_PER_MINUTE = env_int("PAGERDUTY_EVENTS_PER_MINUTE", 100, minimum=1)
PAGERDUTY_RETRY_BASE_SECONDS = env_float("PAGERDUTY_RETRY_BASE_SECONDS", 5.0)
PAGERDUTY_RETRY_MAX_SECONDS = env_float("PAGERDUTY_RETRY_MAX_SECONDS", 300.0)
# A claimed row whose worker died is claimable again after this (longer than any send).
PAGERDUTY_LEASE_SECONDS = env_int("PAGERDUTY_LEASE_SECONDS", 120, minimum=1)
# Retryable failures keep retrying this long, then the row is dead (visible in admin).
PAGERDUTY_GIVE_UP_HOURS = env_int("PAGERDUTY_GIVE_UP_HOURS", 24, minimum=1)
PAGERDUTY_CB_FAILURE_THRESHOLD = env_int(
    "PAGERDUTY_CB_FAILURE_THRESHOLD", SIE_CB_FAILURE_THRESHOLD, minimum=1
)
PAGERDUTY_CB_RECOVERY_TIMEOUT = env_float("PAGERDUTY_CB_RECOVERY_TIMEOUT", SIE_CB_RECOVERY_TIMEOUT)
ALERTMANAGER_TOKEN = env_str("ALERTMANAGER_TOKEN", "")

# --- SLO engine (slo/) ----------------------------------------------------------------------
# Prometheus HTTP API used by SLOs with source=prometheus.
SIE_PROMETHEUS_URL = env_str("SIE_PROMETHEUS_URL", "http://127.0.0.1:9090").rstrip("/")
SIE_PROMETHEUS_TIMEOUT = env_float("SIE_PROMETHEUS_TIMEOUT", 5.0)
# Request telemetry is aggregated per process and flushed in bulk this often (0: only on demand).
SIE_TELEMETRY_FLUSH_SECONDS = env_float("SIE_TELEMETRY_FLUSH_SECONDS", 5.0)
SIE_SLO_SNAPSHOT_RETENTION_DAYS = env_int("SIE_SLO_SNAPSHOT_RETENTION_DAYS", 14, minimum=1)
# An SLO whose source wrote no minute for this long gets a "no_data" ticket in its alerts
# (at most 360: a tick reads the last 6 hours of minutes).
SIE_SLO_NO_DATA_MINUTES = env_int("SIE_SLO_NO_DATA_MINUTES", 10, minimum=1)
if SIE_SLO_NO_DATA_MINUTES > 360:
    raise ImproperlyConfigured("SIE_SLO_NO_DATA_MINUTES must be at most 360 (6 hours)")
# Prometheus SLOs are queried this many at a time, and a tick waits at most this long for them.
SIE_PROMETHEUS_CONCURRENCY = env_int("SIE_PROMETHEUS_CONCURRENCY", 8, minimum=1)
SIE_PROMETHEUS_TICK_BUDGET = env_float("SIE_PROMETHEUS_TICK_BUDGET", 20.0)

# --- DRF / OpenAPI ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    # Staff and Django model permissions (view_/add_/change_/delete_<model>), not is_staff alone.
    "DEFAULT_PERMISSION_CLASSES": ["sie_site.permissions.StaffModelPermissions"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "sie_site.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["sie_site.parsers.SafeJSONParser"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SIE control plane API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sie_site.openapi.document_error_envelope",
    ],
}
# Bodies over 5 MB raise RequestDataTooBig, which the ingest view answers with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve app static files without collectstatic in development and tests (production runs
# `manage.py collectstatic` into STATIC_ROOT).
WHITENOISE_USE_FINDERS = not PRODUCTION
LOGIN_URL = "/admin/login/"
# plotly.js is served from the installed plotly package (dashboards/staticfinders.py): offline,
# one static file for every page, in step with the plotly version in constraints.txt.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "dashboards.staticfinders.PlotlyFinder",
]

# --- Observability of the product itself (SPEC §9) -----------------------------------------
# JSON lines (console format when DEBUG); request_id/user_id/project_id ride into Celery tasks.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = logs.logging_config(DEBUG, LOG_LEVEL)
logs.configure_structlog()
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False  # client addresses are personal data; not needed
# /metrics: readable from these networks, or from anywhere with `Authorization: Bearer TOKEN`.
# Set but empty means no address (token only): behind a proxy on the same host every client
# is 127.0.0.1, so the address proves nothing.
SIE_METRICS_TOKEN = env_str("SIE_METRICS_TOKEN", "")
try:
    SIE_METRICS_ALLOWED_NETWORKS = [
        ip_network(part.strip(), strict=False)
        for part in os.environ.get("SIE_METRICS_ALLOWED_IPS", "127.0.0.0/8,::1").split(",")
        if part.strip()
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"SIE_METRICS_ALLOWED_IPS: {exc}") from None
SIE_METRICS_QUEUE_CACHE_SECONDS = env_int("SIE_METRICS_QUEUE_CACHE_SECONDS", 5, minimum=1)

# --- HTTPS and cookies (issue 10): `manage.py check --deploy` is clean in production -----
# TLS ends at the proxy (nginx): trust its X-Forwarded-Proto only when told there is one,
# since a client reaching gunicorn directly could send the header itself.
if env_bool("SIE_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SIE_SSL_REDIRECT", PRODUCTION)
# Probes and scrapes come over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SIE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SIE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SIE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SIE_SECURE_COOKIES", PRODUCTION)
# Preloading is a commitment to the browsers' lists that an operator opts in to.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Abuse limits (issue 10) ---------------------------------------------------------------
# Failed API keys and failed admin logins per client address and window: over the limit,
# the address gets 429 with Retry-After until the window ends.
SIE_AUTH_FAILURE_LIMIT = env_int("SIE_AUTH_FAILURE_LIMIT", 20, minimum=1)
SIE_AUTH_FAILURE_WINDOW = env_int("SIE_AUTH_FAILURE_WINDOW", 600, minimum=1)
# Reverse proxies in front of gunicorn that append to X-Forwarded-For (nginx: 1). 0 trusts
# only the socket's address; a client-written X-Forwarded-For is never believed.
SIE_NUM_PROXIES = env_int("SIE_NUM_PROXIES", 0)
REST_FRAMEWORK["NUM_PROXIES"] = SIE_NUM_PROXIES
