"""Kontor's settings, read from the environment (and an optional `.env` file).

Every variable is listed, with its default, in the README's table. Embedded defaults run on one
machine with nothing installed (SQLite, a filesystem broker, e-mail to the demo's outbox);
production sets DATABASE_URL, REDIS_URL, SECRET_KEY and friends.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


class StrictEnv(environ.Env):
    """django-environ reads any unknown word as False; a typo in a security setting
    (SECURE_SSL_REDIRECT=ture) must stop the start, not switch the protection off."""

    BOOLEAN_WORDS = frozenset({"true", "false", "1", "0", "yes", "no", "on", "off", "y", "n"})

    def bool(self, var, default=environ.Env.NOTSET):
        raw = self.ENVIRON.get(var)
        if raw is not None and raw.strip().lower() not in self.BOOLEAN_WORDS:
            raise ImproperlyConfigured(f"{var}={raw!r} is not a boolean: use true or false.")
        return super().bool(var, default=default)


env = StrictEnv()
if (BASE_DIR / ".env").exists():
    # Real environment variables win over the file.
    env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
DEV_SECRET_KEY = "kontor-development-only-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY and not env.bool("KONTOR_TESTING", default=False):
    raise ImproperlyConfigured(
        "Set SECRET_KEY (a long random string) or DEBUG=true for development."
    )

# Fernet keys for secrets stored in the database (gateway keys), newest first; empty: derived from
# SECRET_KEY and SECRET_KEY_FALLBACKS.
KONTOR_ENCRYPTION_KEYS = env.list("KONTOR_ENCRYPTION_KEYS", default=[])

# Stripe: each business's keys live in its payment settings (encrypted). These point the SDK and
# Stripe.js elsewhere (localstripe for tests and the demo); empty: Stripe itself.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
DATA_DIR = Path(env.str("KONTOR_DATA_DIR", default=str(BASE_DIR / "data")))

# Hosts: tenants live at <slug>.<KONTOR_BASE_DOMAIN> and on their custom domains. The tenant
# middleware answers unknown hosts with 404, so ALLOWED_HOSTS may be broad in production.
KONTOR_BASE_DOMAIN = env.str("KONTOR_BASE_DOMAIN", default="localhost").lower()
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[f".{KONTOR_BASE_DOMAIN}", KONTOR_BASE_DOMAIN, "127.0.0.1"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# How links in e-mails reach the portal: https in production; http and the dev server's port
# on one machine.
KONTOR_LINK_SCHEME = env.str("KONTOR_LINK_SCHEME", default="http" if DEBUG else "https")
KONTOR_LINK_PORT = env.str("KONTOR_LINK_PORT", default=":8000" if DEBUG else "")
# How long the files made by background jobs (exports, ZIPs of PDFs) stay downloadable, in days.
KONTOR_JOB_DAYS = env.int("KONTOR_JOB_DAYS", default=7)
# A job waiting or running with no sign of life (its progress written) for this many minutes lost
# its worker (killed, or its task lost by the broker): the person may ask again.
KONTOR_JOB_STALE_MINUTES = env.int("KONTOR_JOB_STALE_MINUTES", default=30)
KONTOR_TENANT_CACHE_SECONDS = env.int("KONTOR_TENANT_CACHE_SECONDS", default=30)
# How long a portal page stays in the cache (core.page_cache); 0 renders every page afresh.
# Any write makes the pages it touches miss at once: this is only the longest a page lives.
KONTOR_PAGE_CACHE_SECONDS = env.int("KONTOR_PAGE_CACHE_SECONDS", default=600)
KONTOR_TRUST_X_FORWARDED_FOR = env.bool("KONTOR_TRUST_X_FORWARDED_FOR", default=False)

INSTALLED_APPS = [
    "core.admin_site.KontorAdminConfig",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "core",
    "contracts",
    "subscriptions",
    "billing",
    "quotes",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",  # first: even a refused request gets the policy
    "core.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.TenantMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.TenantLocaleMiddleware",  # after the person: their language comes first
    "core.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "contracts.acting.ActingAsMiddleware",
]

# Only our own origin; scripts from files or with the response's nonce, never inline (the card
# gateway's origins are added per request by core.csp). Inline <style> and style attributes
# stay allowed: a nonce would disable 'unsafe-inline' and Django's admin sets style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.portal",
            ],
        },
    },
]

# Database: SQLite on one machine, PostgreSQL (DATABASE_URL) in production and CI.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'kontor.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web server and worker share the file: WAL lets them read while one writes, and
    # IMMEDIATE transactions take the write lock up front instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # Persistent connections halve the cost of a page (DESIGN.md, "Speed, by design").
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

# Cache (sessions, allauth rate limits, heartbeat): Redis when given, else a shared file cache
# so the web server and the worker see the same values on one machine.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kontor",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["portal.accounts.TenantAuthenticationBackend"]

# allauth: e-mail is the login; password, e-mailed code, TOTP.
ACCOUNT_ADAPTER = "portal.accounts.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# The login form fills in the e-mail address from `?login=` (document links' "Go to your portal").
ACCOUNT_FORMS = {"login": "portal.login_form.PrefilledLoginForm"}
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# A reset key works only on a host where its person may log in (see portal/reset_keys.py).
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "portal.reset_keys.TenantPasswordResetTokenGenerator"  # noqa: S105
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Kontor"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Internationalization: every page in five languages.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("it", "Italiano"),
    ("tr", "Türkçe"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates, times and numbers: one convention per language, tabled in core/formats/__init__.py.
FORMAT_MODULE_PATH = ["core.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {
        "BACKEND": env.str(
            "DEFAULT_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage"
        )
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# The demo's pages on the bare host (KONTOR_BASE_DOMAIN, e.g. http://localhost:8000/): a home
# page with the demo's links and logins, and the outbox at /outbox/, where every e-mail sent is
# kept (under KONTOR_OUTBOX_DIR) and readable. Never in production: anyone reaching the bare host
# would read every e-mail, sign-in codes included. On by default under DEBUG (`make run`).
KONTOR_DEMO_OUTBOX = env.bool("KONTOR_DEMO_OUTBOX", default=DEBUG)
KONTOR_OUTBOX_DIR = DATA_DIR / "outbox"
# The URLs the bare host serves in demo mode (core.middleware.TenantMiddleware switches to them).
KONTOR_DEMO_URLCONF = "portal.demo_urls"

# E-mail. EMAIL_URL (smtp://…, consolemail://, …) gives EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT,
# EMAIL_HOST_USER, … all at once; without it, the outbox in demo mode, the console otherwise.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url_config(EMAIL_URL))
elif KONTOR_DEMO_OUTBOX:
    EMAIL_BACKEND = "core.outbox.OutboxEmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kontor <billing@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production; a filesystem broker on one machine (no server needed).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_FOLDER = DATA_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
else:
    # Tasks are acknowledged late: Redis hands a task not acknowledged within this many seconds
    # to another worker. Above the longest task (a large ZIP, a big billing run), or it runs
    # twice (the default is one hour).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=6 * 3600)
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Every periodic job, in one place.
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "core.tasks.heartbeat", "schedule": 60.0},
    # Exports and ZIPs past their KONTOR_JOB_DAYS are deleted, files and all.
    "jobs-expire": {"task": "core.tasks.expire_jobs", "schedule": 3600.0},
    # Uploaded import files left unconfirmed are deleted once their confirmation has expired.
    "import-files-purge": {"task": "core.tasks.purge_import_files", "schedule": 3600.0},
    "billing-run": {"task": "billing.tasks.run_billing", "schedule": 3600.0},
    "payment-reminders": {"task": "billing.tasks.send_payment_reminders", "schedule": 3600.0},
    "archive-pdfs": {"task": "billing.tasks.archive_pdfs", "schedule": 3600.0},
    "archive-receipt-pdfs": {"task": "billing.tasks.archive_receipt_pdfs", "schedule": 3600.0},
    "dunning": {"task": "billing.tasks.run_dunning", "schedule": 3600.0},
    # Checkouts paid by a late webhook start within minutes; unpaid ones expire.
    "checkouts-settle": {"task": "billing.tasks.settle_checkouts", "schedule": 300.0},
    # NestPay orders whose browser never came back are asked about at the bank.
    "nestpay-reconciliation": {
        "task": "billing.tasks.reconcile_nestpay_orders",
        "schedule": 300.0,
    },
    "stripe-reconciliation": {
        "task": "billing.tasks.reconcile_gateway_events",
        "schedule": 86400.0,
    },
    "card-expiry-reminders": {
        "task": "billing.tasks.send_card_expiry_reminders",
        "schedule": 3600.0,
    },
    "subscriptions-apply-due": {
        "task": "subscriptions.tasks.apply_due_subscription_changes",
        "schedule": 3600.0,
    },
    # Hourly, so a lapsed subscription package loses its departments soon after midnight.
    "department-access-lapse": {
        "task": "subscriptions.tasks.switch_off_lapsed_department_access",
        "schedule": 3600.0,
    },
    # Hourly, so each business's quotes expire soon after its own midnight.
    "quotes-expire": {"task": "quotes.tasks.expire_quotes", "schedule": 3600.0},
}

# Security. Production (DEBUG off) gets secure cookies, HSTS and HTTPS redirects by default.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_HTTPS_PROXY", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a decision for each deployment's domain owner, not for the software.
    "security.W021",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
KONTOR_VERSION = "0.1.0"

# The REST API (/api/v1/): API keys only (no session, so no CSRF), a rate per key, every error
# as RFC 9457 problem details. KONTOR_API_RATE: requests per key, e.g. "120/min".
KONTOR_API_RATE = env.str("KONTOR_API_RATE", default="120/min")
# Attempts without a valid key per client address (bounds key guessing), e.g. "60/min".
KONTOR_API_ANON_RATE = env.str("KONTOR_API_ANON_RATE", default="60/min")
# The largest request body the API reads, in bytes (larger: 413).
KONTOR_API_MAX_BODY = env.int("KONTOR_API_MAX_BODY", default=64 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.api_auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["core.api_auth.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["core.api_auth.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api_parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "core.api.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kontor usage API",
    "DESCRIPTION": (
        "Report tickets, conversations and live chats; read balances, department access and "
        "departments. Authenticate with `Authorization: Bearer <API key>`."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from our own static files: no CDN, and the CSP allows only 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
