"""Settings for P2P Portal, read from the environment; every variable is documented in the README."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from p2p_portal.env import (
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    redis_url_from_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("P2P_VAR_DIR", str(BASE_DIR / "var")))

# P2P_ENV picks the safe defaults: production unless told otherwise, so a forgotten variable fails
# closed (a missing SECRET_KEY stops the process) instead of running a portal with debug on.
P2P_ENV = env_choice("P2P_ENV", ("development", "test", "production"), default="production")
DEVELOPMENT = P2P_ENV == "development"
TESTING = P2P_ENV == "test"
PRODUCTION = P2P_ENV == "production"

DEBUG = env_bool("DEBUG", default=DEVELOPMENT)
if DEBUG and PRODUCTION:
    raise ImproperlyConfigured("DEBUG=true is refused when P2P_ENV=production.")


def _development_secret_key() -> str:
    """A per-checkout key kept under var/, so development sessions survive restarts and no key is committed."""
    key_file = VAR_DIR / "development-secret-key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "SECRET_KEY must be at least 50 random characters in production "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
elif TESTING:
    SECRET_KEY = env_str("SECRET_KEY", "test-only-key-" + "x" * 40)
else:
    SECRET_KEY = env_str("SECRET_KEY", "") or _development_secret_key()


def _development_bank_account_key() -> str:
    """A per-checkout Fernet key under var/ (development only), so demo bank accounts stay readable across runs."""
    key_file = VAR_DIR / "development-bank-account-key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# Encrypts bank account numbers at rest (Fernet: 32 url-safe base64 bytes). Losing it makes the stored
# numbers unreadable, so production requires it explicitly and never derives it.
if PRODUCTION:
    BANK_ACCOUNT_KEY = env_str("BANK_ACCOUNT_KEY")
    try:
        if len(base64.urlsafe_b64decode(BANK_ACCOUNT_KEY.encode())) != 32:
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(
            "BANK_ACCOUNT_KEY must be a Fernet key (32 url-safe base64-encoded bytes); make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        ) from None
elif TESTING:
    BANK_ACCOUNT_KEY = env_str(
        "BANK_ACCOUNT_KEY", base64.urlsafe_b64encode(b"test-only-bank-key".ljust(32, b"-")).decode()
    )
else:
    BANK_ACCOUNT_KEY = env_str("BANK_ACCOUNT_KEY", "") or _development_bank_account_key()


ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", () if PRODUCTION else ("127.0.0.1", "localhost", "[::1]"))
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production, e.g. ALLOWED_HOSTS=p2p.example.org.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django_prometheus",
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Project apps, in dependency order: each may import only those listed before it.
    "p2p_portal.apps.PlatformConfig",
    "p2p_portal.audit.apps.AuditConfig",
    "approvals",
    "vendors",
    "matching",
    "integrations",
    "insights",
    "insights.operations",
    "insights.governance",
    "insights.finance",
    "insights.evidence",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "p2p_portal.request_context.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "p2p_portal.api.middleware.ApiTokenMiddleware",
    "p2p_portal.audit.middleware.ActorMiddleware",
    "p2p_portal.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "p2p_portal.urls"
WSGI_APPLICATION = "p2p_portal.wsgi.application"
ASGI_APPLICATION = "p2p_portal.asgi.application"

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
                "p2p_portal.navigation.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'p2p_portal.sqlite3'}")
DATABASES = {
    "default": database_from_url(DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60 if PRODUCTION else 0))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) are PostgreSQL's; SQLite, the development fallback, builds them without the extra
# columns, which is all it can do and all a demo needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []

# --- Redis: cache, Celery broker ------------------------------------------------------------------
REDIS_URL = redis_url_from_env()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "p2p",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery (p2p_portal/celery.py reads every CELERY_* setting). Without a broker, tasks run inline.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 7200, minimum=60)
CELERY_BROKER_URL = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL or TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "p2p")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The periodic schedule; later apps add their entries here. No countdown here may reach the
# visibility timeout (checked at startup and by `manage.py check`).
CELERY_BEAT_SCHEDULE = {
    "audit.seal": {"task": "p2p_portal.audit.seal_history", "schedule": 60.0, "options": {"expires": 55}},
    "platform.idempotency_purge": {"task": "p2p_portal.purge_idempotency_records", "schedule": 6 * 3600.0},
    "platform.heartbeat": {
        "task": "p2p_portal.record_heartbeat",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "approvals.escalate": {"task": "approvals.escalate_overdue", "schedule": 900.0, "options": {"expires": 840}},
    # Vendors activated or out of cooling-off since: their held invoices are judged again.
    "matching.vendor_holds": {
        "task": "matching.rematch_vendor_holds",
        "schedule": 900.0,
        "options": {"expires": 840},
    },
    # The workbench: expired leases back to their queue, holds at their review date, SLA breaches escalated.
    "matching.workbench_sweep": {
        "task": "matching.workbench_sweep",
        "schedule": 300.0,
        "options": {"expires": 280},
    },
    # Insights: the operations dashboard's weekly summaries (the page says how fresh they are).
    "insights.operations_summary_refresh": {
        "task": "insights.operations_summary_refresh",
        "schedule": 900.0,
        "options": {"expires": 840},
    },
    # Insights: the finance reports' accrual balances and monthly spend (the pages say how fresh they are).
    "insights.finance_summaries_refresh": {
        "task": "insights.finance_summaries_refresh",
        "schedule": 900.0,
        "options": {"expires": 840},
    },
    # Insights: the evidence pack shows the latest audit chain verification (re-hashing every history table).
    "insights.evidence_verify_audit_chain": {
        "task": "insights.evidence.verify_audit_chain",
        "schedule": 3600.0,
        "options": {"expires": 3300},
    },
    # OIG publishes the LEIE by the 10th of each month: re-screen the master on the 11th, after the import.
    "vendors.rescreen": {
        "task": "vendors.rescreen_monthly",
        "schedule": crontab(minute=0, hour=4, day_of_month=11),
        "options": {"expires": 12 * 3600},
    },
    # Inbound sync: each enabled system's due entities (per its sync_interval_minutes), in order.
    "integrations.schedule_syncs": {
        "task": "integrations.schedule_syncs",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Outbox: new events become deliveries, and each system with due deliveries gets dispatch tasks.
    "integrations.outbox_fanout": {
        "task": "integrations.outbox_fanout",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    "integrations.payments_pull": {
        "task": "integrations.payments_pull",
        "schedule": 900.0,
        "options": {"expires": 840},
    },
}
# Outbox tasks live beside the sync tasks in their own module (autodiscovery finds only `<app>.tasks`).
CELERY_IMPORTS = ("integrations.tasks_outbox",)
# An outbox delivery is tried this many times (exponential backoff with full jitter from the base, capped) before it
# becomes a dead letter; a permanent error dead-letters it at once.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 15, minimum=1)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 3600, minimum=1)
if CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_SOFT_TIME_LIMIT must be below CELERY_TASK_TIME_LIMIT.")

# --- Auth -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out users before any password check
    "django.contrib.auth.backends.ModelBackend",  # also refuses inactive users on every request
    "guardian.backends.ObjectPermissionBackend",
]
# Lockout after repeated failures, per username and client address together, so one office's NAT
# address cannot lock out every clerk behind it.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Behind N reverse proxies, the client address is the N-th from the right in X-Forwarded-For; without
# this every client would look like the load balancer and lockouts would hit everyone at once.
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
# TOTP second factor for the roles in p2p_portal.roles.SECOND_FACTOR_ROLES (on in production).
OTP_REQUIRED = env_bool("OTP_REQUIRED", default=PRODUCTION)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "P2P Portal")
# Sensitive actions (bank-account changes) ask for the password again when the last proof is older.
REAUTH_MAX_AGE_SECONDS = env_int("REAUTH_MAX_AGE_SECONDS", 300, minimum=30)

# Vendor governance: days after an applied bank-account change during which the vendor's invoices raise
# `bank_unverified`.
BANK_CHANGE_COOLING_OFF_DAYS = env_int("BANK_CHANGE_COOLING_OFF_DAYS", 5, minimum=0)

GUARDIAN_ANONYMOUS_USER_NAME = None
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
GUARDIAN_RAISE_403 = False

if TESTING:
    # Tests create many users; a deliberately slow hash would make each one cost half a second.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files (whitenoise serves them from the project: no CDN) --------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media"},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request when it is missing
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email ----------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "p2p-portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=300)
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    # __Host- cookies are only accepted over HTTPS, host-only and for path "/": no subdomain can
    # plant or read them. Development serves plain HTTP, where browsers would drop such cookies.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe health over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
else:
    SESSION_COOKIE_NAME = "p2p_sessionid"
    CSRF_COOKIE_NAME = "p2p_csrftoken"
proxy_header = env_str("SECURE_PROXY_SSL_HEADER", "")
if proxy_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_header.upper().replace("-", "_"), "https")

# Content Security Policy: only our own origin. No inline scripts or styles anywhere, so a script
# injected into a vendor name or an invoice line cannot run.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # htmx leaves an empty style="" on some swapped inputs; this hash admits exactly the empty style
        # attribute (it can style nothing), and still no other inline style.
        "style-src": [SELF, "'unsafe-hashes'", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- API -------------------------------------------------------------------------------------------
# "No PO, no pay" above this amount: a non-PO invoice above it raises `po_missing`; below it goes to approval.
NON_PO_INVOICE_LIMIT = env_str("NON_PO_INVOICE_LIMIT", "5000.00")

# --- AP workbench -----------------------------------------------------------------------------------
# A claim's lease: renewed while the clerk works; an expired lease returns the item to its queue.
WORKBENCH_LEASE_MINUTES = env_int("WORKBENCH_LEASE_MINUTES", 30, minimum=1)
# Due time of an item from its queue's priority (hours after it first needed a person).
WORKBENCH_SLA_HOURS = {"urgent": 24, "high": 48, "normal": 72, "low": 120}
# Largest variance a role accepts on its own where no AuthorityLimit row says otherwise (admin -> Authority limits).
WORKBENCH_AUTHORITY_DEFAULTS = {"ap_clerk": "250.00", "ap_manager": "10000.00"}

# A bulk of 1,000 invoices is a few megabytes; one inbound document may have 5 MB (checked by intake).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 12 * 1024 * 1024, minimum=1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "p2p_portal.api.authentication.BearerTokenAuthentication",
        "p2p_portal.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["p2p_portal.api.permissions.IsAuthenticatedPrincipal"],
    "DEFAULT_PAGINATION_CLASS": "p2p_portal.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "p2p_portal.api.errors.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "P2P Portal API",
    "DESCRIPTION": "Invoices, purchase orders, receipts, suppliers and exceptions of a hospital network's P2P portal.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["p2p_portal.api.permissions.IsAuthenticatedPrincipal"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status` or `kind`; each choice set gets its own stable component name.
    "ENUM_NAME_OVERRIDES": {
        "ApprovalRequestStatusEnum": "approvals.models.RequestStatus",
        "VendorStatusEnum": "vendors.models.VendorStatus",
        "ChangeRequestStatusEnum": "vendors.models.ChangeStatus",
        "ChangeRequestKindEnum": "vendors.models.ChangeKind",
        "SiteKindEnum": "vendors.models.SiteKind",
        "BankAccountStatusEnum": "vendors.models.BankAccountStatus",
        "DuplicateStatusEnum": "vendors.models.DuplicateStatus",
        "ScreeningHitStatusEnum": "vendors.models.HitStatus",
        "PurchaseOrderStatusEnum": "matching.models.PurchaseOrderStatus",
        "SyncRunStatusEnum": "integrations.models.SyncRunStatus",
        "DeliveryStatusEnum": "integrations.models.DeliveryStatus",
        "DeadLetterStatusEnum": "integrations.models.DeadLetterStatus",
        "ReplayOutcomeEnum": "integrations.api.serializers.REPLAY_OUTCOMES",
        "CallbackOutcomeEnum": "vendors.models.CallbackOutcome",
    },
}
API_TOKEN_LIFETIME_DAYS = env_int("API_TOKEN_LIFETIME_DAYS", 90, minimum=1)
API_TOKEN_ROTATION_OVERLAP_HOURS = env_int("API_TOKEN_ROTATION_OVERLAP_HOURS", 24, minimum=0)
IDEMPOTENCY_RETENTION_DAYS = env_int("IDEMPOTENCY_RETENTION_DAYS", 7, minimum=7)
# A request still "in progress" after this long is taken as abandoned (its process died) and may be retried.
IDEMPOTENCY_LOCK_SECONDS = env_int("IDEMPOTENCY_LOCK_SECONDS", 120, minimum=10)

# --- Metrics --------------------------------------------------------------------------------------
# When set, /metrics wants "Authorization: Bearer <METRICS_TOKEN>"; when unset it answers loopback only.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
PROMETHEUS_METRIC_NAMESPACE = "p2p"

# --- Logging: JSON lines carrying the request id ----------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), default="INFO")
LOG_FORMAT = env_choice("LOG_FORMAT", ("json", "console"), default="console" if DEVELOPMENT else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "p2p_portal.logging.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "p2p_portal.logging.JsonFormatter"},
        "console": {"format": "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s %(actor)s] %(message)s"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    # Django's own defaults add console handlers to "django" and "django.server"; replacing them here
    # sends every line through the one handler above, once.
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": "INFO" if DEVELOPMENT else "WARNING", "propagate": True},
        "django.db.backends": {"level": "INFO"},
    },
}
