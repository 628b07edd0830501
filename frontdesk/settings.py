"""Django settings for FrontDesk.

Every difference between deployments is an environment variable (12-factor). With none set, FrontDesk runs
in *embedded* mode: SQLite and files in a data directory, keys generated once and kept there, tasks in the
database. ``FRONTDESK_ENV=production`` turns on the HTTPS-only settings and requires every secret to come
from the environment.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("FRONTDESK_ENV", "development").strip().lower()
if ENV not in {"development", "production"}:
    raise ImproperlyConfigured("FRONTDESK_ENV must be 'development' or 'production'.")
PRODUCTION = ENV == "production"


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("FRONTDESK_DATA_DIR") or BASE_DIR.parent / "data").resolve()


def _embedded_secret(name: str, env_var: str, generate: Any) -> str:
    """Return a secret from the environment, or (embedded mode only) one kept in the data directory."""
    value = os.environ.get(env_var, "").strip()
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{env_var} must be set when FRONTDESK_ENV=production.")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / name
    if not path.exists():
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(generate())
    return path.read_text().strip()


SECRET_KEY = _embedded_secret(
    "secret_key", "FRONTDESK_SECRET_KEY", lambda: secrets.token_urlsafe(50)
)
# HMAC key for the audit hash chain; separate from SECRET_KEY so rotating one does not break the other.
AUDIT_HMAC_KEY = _embedded_secret("audit_key", "FRONTDESK_AUDIT_KEY", lambda: secrets.token_hex(32))
# Fernet keys for field and file encryption, newest first; older keys stay readable (rotation).
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in _embedded_secret(
        "encryption_keys", "FRONTDESK_ENCRYPTION_KEYS", lambda: Fernet.generate_key().decode()
    ).split(",")
    if key.strip()
]

DEBUG = _env_bool("FRONTDESK_DEBUG", False)
ALLOWED_HOSTS = _env_list(
    "FRONTDESK_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
)
CSRF_TRUSTED_ORIGINS = _env_list("FRONTDESK_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs page's Swagger UI from our own static files (CSP: no CDN)
    "frontdesk.core",
    "frontdesk.accounts",
    "frontdesk.audit",
    "frontdesk.practice",
    "frontdesk.patients",
    "frontdesk.scheduling",
    "frontdesk.waitlist",
    "frontdesk.notifications",
    "frontdesk.documents",
    "frontdesk.chartprep",
    "frontdesk.printing",
    "frontdesk.visits",
    "frontdesk.kiosk",
    "frontdesk.coding",
    "frontdesk.disclosures",
    "frontdesk.clearinghouse",
    "frontdesk.eligibility",
    "frontdesk.ledger",
    "frontdesk.payments",
    "frontdesk.statements",
    "frontdesk.billing",
    "frontdesk.remittance",
    "frontdesk.web",
    "frontdesk.demo",
    "frontdesk.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "frontdesk.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "frontdesk.accounts.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "frontdesk.core.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "frontdesk.urls"
WSGI_APPLICATION = "frontdesk.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
# Flash messages can name an MRN; keep them server-side, not in a (signed but readable) cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_REDIRECT_URL = "web:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontdesk.web.context_processors.navigation",
                "frontdesk.accounts.context_processors.emergency_access",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = (
    os.environ.get("FRONTDESK_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'frontdesk.sqlite3'}"
)
_db = dj_database_url.parse(
    DATABASE_URL, conn_max_age=int(os.environ.get("FRONTDESK_DB_CONN_MAX_AGE", "60"))
)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a write transaction takes the write lock at BEGIN, so concurrent writers queue
    # (up to `timeout` seconds) instead of failing half-way with "database is locked".
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;"
        ),
    }
    _db["CONN_MAX_AGE"] = 0
    _db["TEST"] = {"NAME": os.environ.get("FRONTDESK_TEST_SQLITE_NAME") or None}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth and sessions ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Absolute session lifetime; the idle limit is enforced by SessionTimeoutMiddleware.
SESSION_MAX_AGE_HOURS = float(os.environ.get("FRONTDESK_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = int(SESSION_MAX_AGE_HOURS * 3600)
SESSION_IDLE_TIMEOUT_MINUTES = float(os.environ.get("FRONTDESK_IDLE_TIMEOUT_MINUTES", "15"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
REQUIRE_MFA = _env_bool("FRONTDESK_REQUIRE_MFA", PRODUCTION)
BREAK_GLASS_MINUTES = int(os.environ.get("FRONTDESK_BREAK_GLASS_MINUTES", "60"))
OTP_TOTP_ISSUER = os.environ.get("FRONTDESK_OTP_ISSUER", "FrontDesk")

# django-axes: lock an account+IP pair after 5 failures; the login form shows one generic message.
AXES_FAILURE_LIMIT = int(os.environ.get("FRONTDESK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("FRONTDESK_LOGIN_COOLOFF_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "frontdesk.accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# --- Security headers ----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = _env_bool("FRONTDESK_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Files ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "files"
# Embedded mode serves static files straight from the apps (no collectstatic step needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION and _env_bool("FRONTDESK_STATIC_AUTOREFRESH", False)
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Stored files are never served from a public URL: downloads go through audited views.
MEDIA_URL = "/files-not-served/"
MAX_UPLOAD_BYTES = int(os.environ.get("FRONTDESK_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
_storage_backend = os.environ.get("FRONTDESK_STORAGE", "local").strip().lower()
if _storage_backend == "s3":
    _default_storage: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("FRONTDESK_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("FRONTDESK_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("FRONTDESK_S3_REGION") or None,
            "access_key": os.environ.get("FRONTDESK_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("FRONTDESK_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif _storage_backend == "local":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured("FRONTDESK_STORAGE must be 'local' or 's3'.")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Background tasks ----------------------------------------------------------------------------
REDIS_URL = os.environ.get("FRONTDESK_REDIS_URL", "").strip()
if REDIS_URL:
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Internationalisation and time ----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("FRONTDESK_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# --- Logging: identifiers and event codes only, never PHI ------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FRONTDESK_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs the request path and, for 500s, the full request; FrontDesk logs its own event
        # codes instead (see frontdesk.core.middleware), so these stay quiet.
        "django.request": {"level": "CRITICAL", "propagate": True},
        "django.server": {"level": "WARNING", "propagate": True},
        "axes": {"level": "WARNING", "propagate": True},
    },
}

NINJA_PAGINATION_PER_PAGE = 50

# --- Notifications (reminders, SMS, e-mail) ---------------------------------------------------------
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Payments (issue 5): the card processor - "test" (the built-in test processor, whose books are files
# under DATA_DIR/test-processor) or the dotted path of an adapter class (see payments/processor.py).
FRONTDESK_CARD_PROCESSOR = os.environ.get("FRONTDESK_CARD_PROCESSOR", "test").strip() or "test"
FRONTDESK_TEST_PROCESSOR_DIR = Path(
    os.environ.get("FRONTDESK_TEST_PROCESSOR_DIR") or DATA_DIR / "test-processor"
)

EMAIL_HOST = os.environ.get("FRONTDESK_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("FRONTDESK_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("FRONTDESK_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("FRONTDESK_SMTP_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("FRONTDESK_SMTP_STARTTLS", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("FRONTDESK_SMTP_FROM", "frontdesk@example.com")
# Hours before the start at which a reminder goes out, and the window a reminder run covers each side.
NOTIFY_REMINDER_HOURS = [
    int(hours) for hours in _env_list("FRONTDESK_NOTIFY_REMINDER_HOURS", "72,24") if hours
]
NOTIFY_REMINDER_WINDOW_MINUTES = int(os.environ.get("FRONTDESK_NOTIFY_REMINDER_WINDOW", "30"))
# No message leaves inside quiet hours (the location's wall clock): "HH:MM-HH:MM".
NOTIFY_QUIET_HOURS = os.environ.get("FRONTDESK_NOTIFY_QUIET_HOURS", "21:00-08:00")
# SMS gateway: "file" (appends JSON lines to DATA_DIR/sms-outbox.jsonl) or "http" (JSON POST).
NOTIFY_SMS_GATEWAY = os.environ.get("FRONTDESK_SMS_GATEWAY", "file").strip().lower()
NOTIFY_SMS_HTTP_URL = os.environ.get("FRONTDESK_SMS_HTTP_URL", "")
NOTIFY_SMS_HTTP_TOKEN = os.environ.get("FRONTDESK_SMS_HTTP_TOKEN", "")
NOTIFY_SMS_FROM = os.environ.get("FRONTDESK_SMS_FROM", "+12025550100")
# Public base URL of this site as patients reach it (links in SMS and e-mail), e.g.
# https://frontdesk.example.com. Empty: messages carry no link (patients phone the office).
PUBLIC_URL = os.environ.get("FRONTDESK_PUBLIC_URL", "").strip().rstrip("/")
# Where a waitlist offer is accepted (frontdesk/waitlist/public.py serves /w/<token>/).
WAITLIST_ACCEPT_URL = f"{PUBLIC_URL}/w" if PUBLIC_URL else ""
# --- Chart prep and no-shows --------------------------------------------------------------------------
# Readiness covers appointments in the next N days; consents required and how many days each stays current.
CHARTPREP_READINESS_DAYS = int(os.environ.get("FRONTDESK_READINESS_DAYS", "3"))
# Cash drawers (payments): a count off by more than this on any tender needs a manager (issue 5).
FRONTDESK_DRAWER_VARIANCE_LIMIT = os.environ.get("FRONTDESK_DRAWER_VARIANCE_LIMIT", "5.00")
# "kind:days,kind:days" (kinds: privacy_notice, financial_policy, treatment_consent, assignment_of_benefits).
CHARTPREP_REQUIRED_CONSENTS = {
    kind.strip(): int(days)
    for kind, _, days in (
        item.partition(":")
        for item in _env_list(
            "FRONTDESK_REQUIRED_CONSENTS", "privacy_notice:365,financial_policy:365"
        )
        if item
    )
}
# A booked visit not arrived this many minutes after its start is marked a no-show by the clock.
NOSHOW_GRACE_MINUTES = int(os.environ.get("FRONTDESK_NOSHOW_GRACE_MINUTES", "15"))
# After this many no-shows in 12 months the patient is flagged at booking.
NOSHOW_FLAG_THRESHOLD = int(os.environ.get("FRONTDESK_NOSHOW_FLAG_THRESHOLD", "3"))
# Shared secret of the inbound SMS webhook (X-FrontDesk-Signature: hex HMAC-SHA256 of the raw body).
# Optional in production: without it the webhook refuses every request (fails closed).
NOTIFY_WEBHOOK_SECRET = (
    os.environ.get("FRONTDESK_SMS_WEBHOOK_SECRET", "").strip()
    if PRODUCTION
    else _embedded_secret(
        "sms_webhook_secret", "FRONTDESK_SMS_WEBHOOK_SECRET", lambda: secrets.token_hex(32)
    )
)

# --- Downtime packet (frontdesk/printing/downtime.py) ------------------------------------------------
# Encrypted PDFs (AES-256) of the next days' schedules and face sheets, openable without FrontDesk.
# The user password opens them in any PDF reader; keep it where the desk finds it when the system is
# down (a sealed envelope, the office safe). Production: set it, or no packet is written (fails closed).
DOWNTIME_PASSWORD = (
    os.environ.get("FRONTDESK_DOWNTIME_PASSWORD", "").strip()
    if PRODUCTION
    else _embedded_secret(
        "downtime_password", "FRONTDESK_DOWNTIME_PASSWORD", lambda: secrets.token_urlsafe(12)
    )
)
DOWNTIME_DIR = Path(os.environ.get("FRONTDESK_DOWNTIME_DIR") or DATA_DIR / "downtime").resolve()
DOWNTIME_INTERVAL_MINUTES = int(os.environ.get("FRONTDESK_DOWNTIME_INTERVAL_MINUTES", "60"))
DOWNTIME_DAYS = int(os.environ.get("FRONTDESK_DOWNTIME_DAYS", "2"))
DOWNTIME_KEEP = int(os.environ.get("FRONTDESK_DOWNTIME_KEEP", "5"))

# Front desk flow board: a card turns amber / red after this many minutes in its state; a visit
# started on time when the patient was roomed within FLOW_ON_TIME_MINUTES of the appointment time.
FLOW_AMBER_MINUTES = int(os.environ.get("FRONTDESK_FLOW_AMBER_MINUTES", "15"))
FLOW_RED_MINUTES = int(os.environ.get("FRONTDESK_FLOW_RED_MINUTES", "30"))
FLOW_ON_TIME_MINUTES = int(os.environ.get("FRONTDESK_FLOW_ON_TIME_MINUTES", "10"))

# --- money (ledger, payments) ---
# One ISO 4217 currency per installation; amounts are Decimal with two places.
FRONTDESK_CURRENCY = os.environ.get("FRONTDESK_CURRENCY", "USD").strip().upper() or "USD"

# --- statements, payment plans, fees (frontdesk/statements) ---
# Statements go to accounts whose patient balance is over the threshold, at most once per cycle.
STATEMENT_THRESHOLD = os.environ.get("FRONTDESK_STATEMENT_THRESHOLD", "5.00").strip() or "5.00"
STATEMENT_CYCLE_DAYS = int(os.environ.get("FRONTDESK_STATEMENT_CYCLE_DAYS", "30"))
STATEMENT_DUE_DAYS = int(os.environ.get("FRONTDESK_STATEMENT_DUE_DAYS", "21"))
# Payment-plan reminders go this many days before an instalment is due.
PLAN_REMINDER_DAYS = int(os.environ.get("FRONTDESK_PLAN_REMINDER_DAYS", "3"))
# Optional fees posted when a visit is marked no-show / cancelled late by the patient ("" = off).
FRONTDESK_NOSHOW_FEE = os.environ.get("FRONTDESK_NOSHOW_FEE", "").strip()
FRONTDESK_LATE_CANCEL_FEE = os.environ.get("FRONTDESK_LATE_CANCEL_FEE", "").strip()

# --- document inbox (frontdesk/documents) ---
# Arrivals over these caps are quarantined with the reason (kept, never lost). The pixel cap is the
# decompression-bomb guard: an image whose header claims more pixels is refused before any decoding
# (default: Pillow's own MAX_IMAGE_PIXELS, about 89 megapixels - a 600 dpi A3 page is 70).
FRONTDESK_DOCUMENT_MAX_BYTES = int(
    os.environ.get("FRONTDESK_DOCUMENT_MAX_BYTES", str(50 * 1024 * 1024))
)
FRONTDESK_DOCUMENT_MAX_PAGES = int(os.environ.get("FRONTDESK_DOCUMENT_MAX_PAGES", "300"))
FRONTDESK_DOCUMENT_MAX_PIXELS = int(os.environ.get("FRONTDESK_DOCUMENT_MAX_PIXELS", "89478485"))
# AES-256-GCM keys for stored documents: base64 of 32 random bytes each, comma-separated, current
# first; blobs under older keys stay readable until `frontdesk documents rotate-keys` re-encrypts
# them. Empty in development and tests: a key derived from SECRET_KEY (documents/blobs.py); in
# production an empty list refuses to store or read documents (fails closed).
FRONTDESK_DOCUMENT_KEYS = _env_list("FRONTDESK_DOCUMENT_KEYS")


# --- ways into and out of the document inbox (frontdesk/documents/intake, documents/fax.py) ---
def _env_map(name: str) -> dict[str, str]:
    """``KEY=value,KEY2=value2`` as a dict (the first ``=`` splits; blanks skipped)."""
    pairs = (item.split("=", 1) for item in _env_list(name) if "=" in item)
    return {key.strip(): value.strip() for key, value in pairs if key.strip() and value.strip()}


# Watched folders, location code -> folder (LOC1=/srv/scans,LOC2=/srv/fax-in). A file counts as
# complete when it is older than the settle time or its size and time did not change between two
# looks the pause apart; received files move to <folder>/.frontdesk/done/YYYY-MM-DD/.
FRONTDESK_DOCUMENT_WATCH_DIRS = _env_map("FRONTDESK_DOCUMENT_WATCH_DIRS")
FRONTDESK_DOCUMENT_WATCH_SETTLE_SECONDS = int(
    os.environ.get("FRONTDESK_DOCUMENT_WATCH_SETTLE_SECONDS", "10")
)
FRONTDESK_DOCUMENT_WATCH_PAUSE_SECONDS = float(
    os.environ.get("FRONTDESK_DOCUMENT_WATCH_PAUSE_SECONDS", "2")
)
# The documents mailbox: imaps://user:pass@host:993/INBOX (imap:// uses STARTTLS when offered and is
# plain only to a loopback host), and the location whose inbox its attachments go to.
FRONTDESK_DOCUMENT_IMAP_URL = os.environ.get("FRONTDESK_DOCUMENT_IMAP_URL", "").strip()
FRONTDESK_DOCUMENT_IMAP_LOCATION = os.environ.get("FRONTDESK_DOCUMENT_IMAP_LOCATION", "").strip()
# Fax: "test" (writes PDFs + JSON sidecars to DATA_DIR/fax-outbox) or "http" (generic provider:
# multipart POST with a bearer token, answers {"id": ...}).
FRONTDESK_FAX_TRANSPORT = os.environ.get("FRONTDESK_FAX_TRANSPORT", "test").strip().lower()
FRONTDESK_FAX_HTTP_URL = os.environ.get("FRONTDESK_FAX_HTTP_URL", "").strip()
FRONTDESK_FAX_HTTP_TOKEN = os.environ.get("FRONTDESK_FAX_HTTP_TOKEN", "").strip()
FRONTDESK_FAX_OUTBOX = Path(
    os.environ.get("FRONTDESK_FAX_OUTBOX") or DATA_DIR / "fax-outbox"
).resolve()
# Our fax number(s) -> location code (+15555550100=LOC1); an unknown number goes to the default.
FRONTDESK_FAX_NUMBERS = _env_map("FRONTDESK_FAX_NUMBERS")
FRONTDESK_FAX_DEFAULT_LOCATION = os.environ.get("FRONTDESK_FAX_DEFAULT_LOCATION", "").strip()
FRONTDESK_FAX_FROM = os.environ.get("FRONTDESK_FAX_FROM", "").strip()
# Secret of the fax webhooks (X-FrontDesk-Signature: sha256=<hex HMAC of timestamp "." body>).
# Production without it: the webhooks refuse every request (fails closed).
FRONTDESK_FAX_WEBHOOK_SECRET = (
    os.environ.get("FRONTDESK_FAX_WEBHOOK_SECRET", "").strip()
    if PRODUCTION
    else _embedded_secret(
        "fax_webhook_secret", "FRONTDESK_FAX_WEBHOOK_SECRET", lambda: secrets.token_hex(32)
    )
)
FRONTDESK_FAX_WEBHOOK_WINDOW_SECONDS = 300
# Secure e-mail (a chart document behind a link and a phoned access code): days a link works and how
# many downloads it allows. The link is built on PUBLIC_URL; without it nothing can be sent this way.
FRONTDESK_SECURE_LINK_DAYS = int(os.environ.get("FRONTDESK_SECURE_LINK_DAYS", "7"))
FRONTDESK_SECURE_LINK_MAX_DOWNLOADS = int(
    os.environ.get("FRONTDESK_SECURE_LINK_MAX_DOWNLOADS", "5")
)
