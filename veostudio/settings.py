"""VeoStudio settings. Every value comes from the environment; see .env.example."""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_dotenv(path: Path) -> None:
    """Read KEY=value lines from .env without overriding the real environment."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


if os.environ.get("VEOSTUDIO_SKIP_DOTENV") != "1":
    _load_dotenv(BASE_DIR / ".env")


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_number(name: str, default: float, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(
            f"{name} must be between {minimum:g} and {maximum:g}, not {raw!r}"
        )
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("VEOSTUDIO_TESTING", False)

SECURE_HTTPS = env_bool("SECURE_HTTPS", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if SECURE_HTTPS:
        raise ImproperlyConfigured("SECRET_KEY must be set when SECURE_HTTPS is on")
    # A fresh clone must run with no variables at all; production sets its own.
    SECRET_KEY = "insecure-local-only-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "generations",
    "billing",
    "reports",
    "batches",
    "prompts",
    "reviewlinks",
    "inbox",
    "sequences",
]

MIDDLEWARE = [
    # First: an oversized body is refused from its Content-Length before anything reads it.
    "generations.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Log-in before CSRF: the CSRF check reads (and spools) the body, so a stranger's
    # POST to a login-only page is sent to the log-in page before any of it is read.
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "generations.middleware.HtmxAwareLoginRequiredMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "generations.middleware.NoStoreForLoggedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "veostudio.urls"

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
                "django.template.context_processors.csp",
                "generations.context_processors.studio",
            ],
        },
    },
]

WSGI_APPLICATION = "veostudio.wsgi.application"

DATABASE_URL = env_str("DATABASE_URL", "")
DATABASES: dict[str, Any]
if DATABASE_URL:
    try:
        DATABASES = {
            "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0 if TESTING else 60)
        }
    except Exception as exc:  # dj-database-url raises several types
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid URL: {exc}") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": Path(env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # lib/prepared.py has PostgreSQL prepare its statements (asked with prepare=True);
    # psycopg prepares none while this is None (Django's default). Django's own cursors
    # bind values on our side and are never prepared, whatever this says.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1_000_000
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write at once: without IMMEDIATE transactions and WAL,
    # SQLite answers "database is locked" to one of them.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Each web thread keeps its connection, as with PostgreSQL: under load, opening one per
    # request (connect, WAL pragmas, functions) was a fifth of the web server's time.
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if TESTING else 60
    # A file, not memory: browser tests run the web server and the worker in threads.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's, reading the person's role with them (generations/auth.py); Django's own
    # stays for the sessions that logged in through it before.
    "generations.auth.StudioBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "generations:index"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# Each process keeps its own cache in memory. Nothing in it needs sharing: every key is made
# of what the same request read from the database (a job's version, a newest event id), so
# a process that missed a change simply misses the key. See gallery.py, _card.html and
# templatetags/fragments.py (a video's page).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 5000},  # a few thousand cards, about 2 KB each
    }
}
# Media is private: served only through login-checked views, never by URL prefix.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# No URL serves this prefix; it exists only because test servers expect one.
MEDIA_URL = "/no-public-media/"

# Where uploads, videos and posters live: "local" (MEDIA_ROOT) or "s3" (any S3-compatible
# service, through lib/storage.py).
STORAGE_BACKEND = env_str("STORAGE_BACKEND", "local").strip().lower()
if STORAGE_BACKEND not in ("local", "s3"):
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be local or s3, not {STORAGE_BACKEND!r}")
S3_BUCKET = env_str("S3_BUCKET", "")
S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL", "").rstrip("/")
S3_REGION = env_str("S3_REGION", "us-east-1")
S3_ADDRESSING_STYLE = env_str("S3_ADDRESSING_STYLE", "path" if S3_ENDPOINT_URL else "virtual")
# How long a link to a video or poster stays valid; the access check runs before each one.
S3_URL_SECONDS = int(env_number("S3_URL_SECONDS", 300, 10, 7 * 24 * 3600))


def s3_media_origins(endpoint: str, bucket: str, style: str, region: str) -> list[str]:
    """Where presigned links point, for the Content-Security-Policy."""
    if endpoint:
        scheme, _, rest = endpoint.partition("://")
        host = rest.split("/")[0]
        return [f"{scheme}://{bucket}.{host}" if style == "virtual" else f"{scheme}://{host}"]
    return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]


MEDIA_ORIGINS: list[str] = []
if STORAGE_BACKEND == "s3":
    if not S3_BUCKET:
        raise ImproperlyConfigured("S3_BUCKET must be set when STORAGE_BACKEND is s3")
    if S3_ADDRESSING_STYLE not in ("path", "virtual"):
        raise ImproperlyConfigured("S3_ADDRESSING_STYLE must be path or virtual")
    if S3_ENDPOINT_URL and not S3_ENDPOINT_URL.startswith(("http://", "https://")):
        raise ImproperlyConfigured("S3_ENDPOINT_URL must start with http:// or https://")
    STORAGES["default"] = {
        "BACKEND": "lib.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": S3_ENDPOINT_URL or None,
            "region_name": S3_REGION,
            "addressing_style": S3_ADDRESSING_STYLE,
            # Empty means boto3's own lookup (AWS_* variables, instance roles).
            "access_key": env_str("S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY", "") or None,
            "location": env_str("S3_PREFIX", "").strip("/"),
            "querystring_expire": S3_URL_SECONDS,
        },
    }
    # The browser follows our redirect to the bucket: the page's CSP must allow it.
    MEDIA_ORIGINS = s3_media_origins(S3_ENDPOINT_URL, S3_BUCKET, S3_ADDRESSING_STYLE, S3_REGION)

# How video and image answers hand over their bytes, after the access check: "django"
# (a range-aware streaming view), "nginx" (X-Accel-Redirect to NGINX_MEDIA_PREFIX, an
# `internal` location aliased to MEDIA_ROOT) or, with S3, "redirect" (a presigned URL).
MEDIA_SERVING = env_str("MEDIA_SERVING", "redirect" if STORAGE_BACKEND == "s3" else "django")
MEDIA_SERVING = MEDIA_SERVING.strip().lower()
_SERVING_FOR = {"local": ("django", "nginx"), "s3": ("redirect",)}
if MEDIA_SERVING not in _SERVING_FOR[STORAGE_BACKEND]:
    raise ImproperlyConfigured(
        f"MEDIA_SERVING must be one of {', '.join(_SERVING_FOR[STORAGE_BACKEND])} "
        f"with STORAGE_BACKEND={STORAGE_BACKEND}, not {MEDIA_SERVING!r}"
    )
NGINX_MEDIA_PREFIX = "/" + env_str("NGINX_MEDIA_PREFIX", "/protected-media/").strip("/") + "/"

# The worker downloads into this folder, then stores the finished file. It is scratch
# space on the worker's own disk: never inside MEDIA_ROOT, never in the bucket.
WORKER_SCRATCH_DIR = Path(env_str("WORKER_SCRATCH_DIR", str(BASE_DIR / "var" / "scratch")))
if STORAGE_BACKEND == "local" and WORKER_SCRATCH_DIR.resolve().is_relative_to(MEDIA_ROOT.resolve()):
    raise ImproperlyConfigured("WORKER_SCRATCH_DIR must not be inside MEDIA_ROOT")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The New video form has one file field; a second file part is refused (400) unread.
DATA_UPLOAD_MAX_NUMBER_FILES = 1
FILE_UPLOAD_HANDLERS = [
    "generations.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FIRST_FRAME_MAX_BYTES = 20 * 1024 * 1024
# Bodies over these sizes are refused from their Content-Length, before anything is read:
# the New video form (the picture plus room for the other fields), and every other URL.
# The reverse proxy in the README sets the same limit (client_max_body_size 21m).
UPLOAD_REQUEST_MAX_BYTES = FIRST_FRAME_MAX_BYTES + 1024 * 1024
REQUEST_MAX_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
# The most pixels ever decoded for one upload (4096×4096 = 16.8 MP, about 64 MB as RGBA):
# above Veo's largest output (3840×2160) with room for a 4:3 or square crop; JPEGs may
# declare 4 times this, as they decode at a reduced scale. See lib/images.py.
FIRST_FRAME_MAX_PIXELS = 4096 * 4096
# How many uploads one web process decodes at once, and how long another one waits.
FIRST_FRAME_DECODE_CONCURRENCY = int(env_number("FIRST_FRAME_DECODE_CONCURRENCY", 2, 1, 64))
FIRST_FRAME_DECODE_WAIT_SECONDS = 20.0
# Videos and ZIPs one person may have the web process stream at once (lib/media.py):
# the compare page plays 4 videos side by side.
MEDIA_STREAMS_PER_PERSON = int(env_number("MEDIA_STREAMS_PER_PERSON", 4, 1, 64))

# CometAPI
COMETAPI_KEY = env_str("COMETAPI_KEY", "")
COMETAPI_BASE_URL = env_str("COMETAPI_BASE_URL", "https://api.cometapi.com").rstrip("/")
if not COMETAPI_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("COMETAPI_BASE_URL must start with http:// or https://")
DEMO_MODE = not COMETAPI_KEY
SIMULATOR_PORT = int(env_number("SIMULATOR_PORT", 8765, 1, 65535))
if DEMO_MODE and "COMETAPI_BASE_URL" not in os.environ:
    COMETAPI_BASE_URL = f"http://127.0.0.1:{SIMULATOR_PORT}"
COMETAPI_POLL_INTERVAL = env_number("COMETAPI_POLL_INTERVAL", 5, 0.05, 600)
COMETAPI_DEADLINE_MINUTES = env_number("COMETAPI_DEADLINE_MINUTES", 20, 0.01, 24 * 60)
COMETAPI_MAX_ATTEMPTS = int(env_number("COMETAPI_MAX_ATTEMPTS", 6, 1, 100))
COMETAPI_RETRY_BASE_SECONDS = env_number("COMETAPI_RETRY_BASE_SECONDS", 5, 0, 3600)
COMETAPI_CONNECT_TIMEOUT = env_number("COMETAPI_CONNECT_TIMEOUT", 10, 0.1, 300)
COMETAPI_READ_TIMEOUT = env_number("COMETAPI_READ_TIMEOUT", 30, 0.1, 600)
# A video download: at most this long in all (and never past the job's deadline), and at
# least this fast on average once its first 5 s are over; see lib/cometapi.py.
COMETAPI_DOWNLOAD_MAX_SECONDS = env_number("COMETAPI_DOWNLOAD_MAX_SECONDS", 600, 1, 6 * 3600)
COMETAPI_DOWNLOAD_MIN_KBPS = env_number("COMETAPI_DOWNLOAD_MIN_KBPS", 50, 0, 1024 * 1024)
# A step whose worker died is retaken after this long: its lease's end is its due time.
WORKER_STEP_LEASE_SECONDS = env_number("WORKER_STEP_LEASE_SECONDS", 40, 1, 3600)
# Seconds between the worker's passes of heartbeat, slot wake-ups, Trash purge and the
# removal of downloads a killed worker abandoned. RECONCILE_INTERVAL_SECONDS, its name
# before the task queue went, is still read so that an existing .env keeps working.
HOUSEKEEPING_INTERVAL_SECONDS = env_number(
    "HOUSEKEEPING_INTERVAL_SECONDS"
    if os.environ.get("HOUSEKEEPING_INTERVAL_SECONDS")
    else "RECONCILE_INTERVAL_SECONDS",
    10,
    0.1,
    3600,
)
# The gallery: days a deleted video waits in the Trash before the worker purges it.
TRASH_KEEP_DAYS = env_number("TRASH_KEEP_DAYS", 30, 0.001, 3650)

# /readyz tells anyone "ready or not"; the details go to staff and to this bearer token.
READYZ_TOKEN = env_str("READYZ_TOKEN", "")
READYZ_STORAGE_PROBE_SECONDS = env_number("READYZ_STORAGE_PROBE_SECONDS", 30, 0, 3600)

# Where CometAPI answers the quota query (the key goes in its query string, never logged).
COMETAPI_QUOTA_URL = env_str(
    "COMETAPI_QUOTA_URL",
    f"{COMETAPI_BASE_URL}/user/quota" if DEMO_MODE else "https://query.cometapi.com/user/quota",
)
# A separate query-only key, as CometAPI recommends; empty = the main key.
COMETAPI_QUERY_KEY = env_str("COMETAPI_QUERY_KEY", "")


def env_money(name: str) -> float | None:
    """Dollars, or None when empty (no cap)."""
    if os.environ.get(name, "").strip() == "":
        return None
    return env_number(name, 0, 0, 1_000_000)


# E-mail, for invitations; empty EMAIL_HOST = no e-mail (the Team page shows the link).
EMAIL_HOST_CONFIGURED = bool(env_str("EMAIL_HOST", ""))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "veostudio@localhost")
# The studio's own address, for links in mail sent without a request (the inbox's mail).
STUDIO_URL = env_str("STUDIO_URL", "http://127.0.0.1:8000").rstrip("/")
if EMAIL_HOST_CONFIGURED:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST", ""),
                "port": int(env_number("EMAIL_PORT", 587, 1, 65535)),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": 20,
            },
        }
    }

# Billing: the first values of what admins then change in the app (prices, caps, limits).
BILLING_STUDIO_DISCOUNT_PERCENT = env_number("BILLING_STUDIO_DISCOUNT_PERCENT", 20, 0, 100)
BILLING_FAILED_TASKS_CHARGED = env_bool("BILLING_FAILED_TASKS_CHARGED", False)
BILLING_PERSON_MONTHLY_CAP = env_money("BILLING_PERSON_MONTHLY_CAP")
BILLING_TEAM_MONTHLY_CAP = env_money("BILLING_TEAM_MONTHLY_CAP")
BILLING_PERSON_CONCURRENCY = int(env_number("BILLING_PERSON_CONCURRENCY", 2, 1, 100))
BILLING_TEAM_CONCURRENCY = int(env_number("BILLING_TEAM_CONCURRENCY", 4, 1, 100))
BILLING_CREATE_PER_MINUTE = int(env_number("BILLING_CREATE_PER_MINUTE", 10, 1, 10_000))
# A job waiting for a slot is looked at again after this long even if no wake-up came.
BILLING_HOLD_SECONDS = env_number("BILLING_HOLD_SECONDS", 3600, 1, 24 * 3600)
# How old the queue's order may be when a page's poll shows a waiting job's place; kept
# below the poll interval (3 s) so that a poll never shows a place older than its page.
BILLING_QUEUE_PLAN_SECONDS = env_number("BILLING_QUEUE_PLAN_SECONDS", 1, 0, 2)

# Reverse proxies in front of the app that append to X-Forwarded-For (nginx: 1); the client
# address is read that many entries from the right. 0 = use the socket's address.
TRUSTED_PROXY_COUNT = int(env_number("TRUSTED_PROXY_COUNT", 1 if SECURE_HTTPS else 0, 0, 10))

# Login brute-force protection: username+IP, a cool-off rather than a permanent lock, and a
# throttle per address across user names; see lib/lockout.py for why.
AXES_HANDLER = "lib.lockout.StudioAxesHandler"
AXES_CLIENT_IP_CALLABLE = "lib.lockout.client_ip"
AXES_ADDRESS_FAILURE_LIMIT = int(env_number("AXES_ADDRESS_FAILURE_LIMIT", 20, 1, 10000))
AXES_FAILURE_LIMIT = int(env_number("AXES_FAILURE_LIMIT", 5, 1, 1000))
AXES_COOLOFF_TIME = env_number("AXES_COOLOFF_MINUTES", 15, 0.01, 24 * 60) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# Security headers; secure cookies and HSTS whenever DEBUG is off and HTTPS is on.
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:", *MEDIA_ORIGINS],
    "media-src": [CSP.SELF, "blob:", *MEDIA_ORIGINS],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            # Upstream text reaches log messages; this formatter keeps each on one line.
            "()": "lib.logs.SingleLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Its debug lines carry full URLs, and the quota query's URL carries the key.
        "urllib3": {"level": "INFO"},
    },
}
