"""Settings for each environment, read from the environment variables."""

import os
import secrets
from pathlib import Path

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
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"
    SERVER_NAME = os.environ.get("SERVER_NAME")
    # The portal's public address, for links in emails that commands send (flask trials notify).
    PORTAL_URL = os.environ.get("PORTAL_URL")
    HSTS = False

    WTF_CSRF_TIME_LIMIT = None
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

    LICENSE_KEYS_PATH = os.environ.get("LICENSE_KEYS_PATH", str(INSTANCE_DIR / "license-keys.json"))
    TRIAL_DAYS = _int("TRIAL_DAYS", 30)
    TRIAL_ACCOUNTS = _int("TRIAL_ACCOUNTS", 25)
    SUPPORT_DAYS = _int("SUPPORT_DAYS", 365)

    # The commercial terms; the app turns them into one Terms value at start (app/terms.py).
    ACCOUNT_PRICE_CENTS = _int("ACCOUNT_PRICE_CENTS", 450)
    PACK_SIZE = _int("PACK_SIZE", 25)
    CURRENCY = os.environ.get("CURRENCY", "usd")
    MAX_ACCOUNTS_PER_ORDER = _int("MAX_ACCOUNTS_PER_ORDER", 10000)
    GRACE_PERCENT = _int("GRACE_PERCENT", 10)

    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
    STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
    STRIPE_MAX_NETWORK_RETRIES = _int("STRIPE_MAX_NETWORK_RETRIES", 1)

    REQUIRED = ()


def _dev_secret_key():
    """A random key kept under instance/, so development sessions survive restarts."""
    path = INSTANCE_DIR / "dev-secret-key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    PORTAL_URL = os.environ.get("PORTAL_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"

    def __init__(self):
        if not self.SECRET_KEY:
            self.SECRET_KEY = _dev_secret_key()


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = database_url("sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = None
    SUPPORT_EMAIL = "support@example.com"
    PORTAL_URL = "http://portal.test"
    STRIPE_SECRET_KEY = "sk_test_portal"
    STRIPE_PUBLISHABLE_KEY = "pk_test_portal"
    STRIPE_WEBHOOK_SECRET = "whsec_test_portal"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True
    REQUIRED = (
        "SECRET_KEY",
        "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET",
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
