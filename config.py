"""Settings for each environment, read from the environment variables."""

import os
import secrets
from pathlib import Path

from argon2.profiles import RFC_9106_LOW_MEMORY

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name, default):
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}.") from None


def database_url(default):
    """The SQLAlchemy URL, with plain postgres URLs mapped to the psycopg 3 driver."""
    url = os.environ.get("DATABASE_URL") or default
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    INSTANCE_DIR = INSTANCE_DIR
    SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{INSTANCE_DIR / 'portal.db'}")
    # A pooled connection is tested ("SELECT 1") before each use, so a restarted database costs no
    # failed request; DATABASE_PRE_PING=0 saves that round trip per checkout where it never restarts.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": _bool("DATABASE_PRE_PING", True)}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"
    SERVER_NAME = os.environ.get("SERVER_NAME")
    # The portal's public address: every link in an email starts with it, never with the request's Host.
    PORTAL_URL = os.environ.get("PORTAL_URL")
    # Host names the portal answers to (comma-separated); any when unset.
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    # How many proxies in front of the portal set X-Forwarded-For/-Proto/-Host (0: none trusted).
    PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 0)
    # Forms and the Stripe webhook: no request body is larger than 1 MB.
    MAX_CONTENT_LENGTH = 1024 * 1024
    HSTS = False

    WTF_CSRF_TIME_LIMIT = None
    # memory:// counts in each worker process apart: development and tests (production: Redis).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True

    CONFIRM_TOKEN_MAX_AGE = _int("CONFIRM_TOKEN_MAX_AGE", 3 * 24 * 3600)
    RESET_TOKEN_MAX_AGE = _int("RESET_TOKEN_MAX_AGE", 3600)

    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    PORTAL_NAME = os.environ.get("PORTAL_NAME", "License Portal")
    PRODUCT_NAME = os.environ.get("PRODUCT_NAME", "the hosting control panel")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", f"{PORTAL_NAME} <licenses@localhost>")
    SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "support@localhost")
    SALES_EMAIL = os.environ.get("SALES_EMAIL") or SUPPORT_EMAIL  # Contact sales, for prospects
    PRIVACY_EMAIL = os.environ.get("PRIVACY_EMAIL") or SUPPORT_EMAIL  # the terms' data protection contact

    # The task queue: Redis when QUEUE_URL=redis://host:6379/0, else a SQLite file (QUEUE_PATH).
    QUEUE_URL = os.environ.get("QUEUE_URL") or None
    QUEUE_PATH = os.environ.get("QUEUE_PATH") or None  # instance/queue.db when unset
    OUTBOX_LEASE_SECONDS = _int("OUTBOX_LEASE_SECONDS", 300)
    OUTBOX_RETRY_BASE_SECONDS = _int("OUTBOX_RETRY_BASE_SECONDS", 30)
    OUTBOX_RETRY_MAX_SECONDS = _int("OUTBOX_RETRY_MAX_SECONDS", 3600)
    OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 20)
    # A Stripe event whose application fails is tried again after 10 s, 20 s, … (at most an hour apart).
    WEBHOOK_RETRY_BASE_SECONDS = _int("WEBHOOK_RETRY_BASE_SECONDS", 10)
    WEBHOOK_RETRY_MAX_SECONDS = _int("WEBHOOK_RETRY_MAX_SECONDS", 3600)
    WEBHOOK_MAX_ATTEMPTS = _int("WEBHOOK_MAX_ATTEMPTS", 8)
    # How often `flask worker` reconciles orders with Stripe: a divisor of 60.
    RECONCILE_EVERY_MINUTES = _int("RECONCILE_EVERY_MINUTES", 10)

    # /metrics answers a bearer METRICS_TOKEN, or clients whose address is in METRICS_ALLOW.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    METRICS_ALLOW = tuple(a.strip() for a in os.environ.get("METRICS_ALLOW", "").split(",") if a.strip())
    # "json" (one JSON object per line) or "text"; json in production by default.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")

    # Seals the private signing keys kept in the database: the same on every host, backed up apart from it.
    LICENSE_KEY_SECRET = os.environ.get("LICENSE_KEY_SECRET")
    # A rotated-in signing key is published this long before it signs (control panels cache the key set).
    KEY_PUBLISH_HOURS = _int("KEY_PUBLISH_HOURS", 24)
    TRIAL_DAYS = _int("TRIAL_DAYS", 30)
    TRIAL_ACCOUNTS = _int("TRIAL_ACCOUNTS", 25)
    TRIAL_MAX_ACCOUNTS = _int("TRIAL_MAX_ACCOUNTS", 100)
    SUPPORT_DAYS = _int("SUPPORT_DAYS", 365)

    # The commercial terms; the app turns them into one Terms value at start (app/terms.py).
    ACCOUNT_PRICE_CENTS = _int("ACCOUNT_PRICE_CENTS", 450)
    PACK_SIZE = _int("PACK_SIZE", 25)
    CURRENCY = os.environ.get("CURRENCY", "usd")
    MAX_ACCOUNTS_PER_ORDER = _int("MAX_ACCOUNTS_PER_ORDER", 10000)
    GRACE_PERCENT = _int("GRACE_PERCENT", 10)

    # Who sells, as every invoice and credit note names them; SELLER_ADDRESS separates lines by a literal \\n.
    SELLER_NAME = os.environ.get("SELLER_NAME")
    SELLER_ADDRESS = os.environ.get("SELLER_ADDRESS")
    SELLER_COUNTRY = os.environ.get("SELLER_COUNTRY")  # ISO 3166 alpha-2, e.g. DE
    SELLER_VAT_ID = os.environ.get("SELLER_VAT_ID")
    # Tax on top of the price by the buyer's country, "DE:19,FR:20,NL:21"; none: prices are net.
    TAX_RATES = os.environ.get("TAX_RATES", "")

    # Control-panel servers one license may be active on, and when a silent server counts as stale.
    MAX_INSTALLATIONS = _int("MAX_INSTALLATIONS", 1)
    CHECKIN_STALE_DAYS = _int("CHECKIN_STALE_DAYS", 7)
    # An unpaid order is cancelled by `flask billing reconcile` this long after it was placed.
    ORDER_EXPIRY_HOURS = _int("ORDER_EXPIRY_HOURS", 24)

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
    STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
    STRIPE_MAX_NETWORK_RETRIES = _int("STRIPE_MAX_NETWORK_RETRIES", 1)

    # Password hashing (Argon2id): the passes and memory (KiB) of RFC 9106's low-memory profile
    # (argon2-cffi's defaults) in one lane, so a login takes one thread, not four, from other requests.
    ARGON2_TIME_COST = _int("ARGON2_TIME_COST", RFC_9106_LOW_MEMORY.time_cost)
    ARGON2_MEMORY_COST = _int("ARGON2_MEMORY_COST", RFC_9106_LOW_MEMORY.memory_cost)
    ARGON2_PARALLELISM = _int("ARGON2_PARALLELISM", 1)

    REQUIRED = ()


def _dev_secret(name):
    """A random secret kept under instance/, so development sessions and keys survive restarts."""
    path = INSTANCE_DIR / name
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


_EXAMPLE_SELLER = {
    "SELLER_NAME": "Example Control Panel Software GmbH",
    "SELLER_ADDRESS": "Beispielstraße 1\\n10115 Berlin",
    "SELLER_COUNTRY": "DE",
    "SELLER_VAT_ID": "DE136695976",
}


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    SELLER_NAME = os.environ.get("SELLER_NAME") or _EXAMPLE_SELLER["SELLER_NAME"]
    SELLER_ADDRESS = os.environ.get("SELLER_ADDRESS") or _EXAMPLE_SELLER["SELLER_ADDRESS"]
    SELLER_COUNTRY = os.environ.get("SELLER_COUNTRY") or _EXAMPLE_SELLER["SELLER_COUNTRY"]
    SELLER_VAT_ID = os.environ.get("SELLER_VAT_ID") or _EXAMPLE_SELLER["SELLER_VAT_ID"]
    PORTAL_URL = os.environ.get("PORTAL_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"

    def __init__(self):
        if not self.SECRET_KEY:
            self.SECRET_KEY = _dev_secret("dev-secret-key")
        if not self.LICENSE_KEY_SECRET:
            self.LICENSE_KEY_SECRET = _dev_secret("dev-license-key-secret")


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    LICENSE_KEY_SECRET = "test-license-key-secret-of-32-characters"
    SQLALCHEMY_DATABASE_URI = database_url("sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = None
    QUEUE_URL = None
    SUPPORT_EMAIL = "support@example.com"
    SALES_EMAIL = "sales@example.com"
    PORTAL_URL = "http://portal.test"
    STRIPE_SECRET_KEY = "sk_test_portal"
    STRIPE_PUBLISHABLE_KEY = "pk_test_portal"
    STRIPE_WEBHOOK_SECRET = "whsec_test_portal"
    SELLER_NAME = _EXAMPLE_SELLER["SELLER_NAME"]
    SELLER_ADDRESS = _EXAMPLE_SELLER["SELLER_ADDRESS"]
    SELLER_COUNTRY = _EXAMPLE_SELLER["SELLER_COUNTRY"]
    SELLER_VAT_ID = _EXAMPLE_SELLER["SELLER_VAT_ID"]
    TAX_RATES = ""
    # Cheap hashing, so the tests spend their time on the portal, not on Argon2.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    # Limits count across every worker of the host (Redis runs beside the portal); give every host
    # the same URL to count across hosts. Should Redis be down, each worker counts for itself meanwhile.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    REQUIRED = (
        "SECRET_KEY",
        "PORTAL_URL",
        "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "SELLER_NAME",
        "SELLER_ADDRESS",
        "SELLER_COUNTRY",
        "SELLER_VAT_ID",
        "LICENSE_KEY_SECRET",
    )


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(name=None):
    """The settings object for PORTAL_ENV (production when unset)."""
    name = name or os.environ.get("PORTAL_ENV", "production")
    if name not in CONFIGS:
        raise SystemExit(f"PORTAL_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    config = CONFIGS[name]()
    missing = [key for key in config.REQUIRED if not getattr(config, key)]
    if missing:
        raise SystemExit(f"{missing[0]} is not set: the portal refuses to start without it.")
    return config
