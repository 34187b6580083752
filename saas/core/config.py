"""Configuration from environment variables, each with an embedded default.

Unset REDIS_URL means jobs run inline; unset SMTP_URL means emails are written to
instance/outbox/ as .eml files. See the README's configuration table.
"""
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

PACKAGE_DIR = Path(__file__).resolve().parents[1]
# Installed from a wheel, the templates and migrations ship inside the package (see pyproject.toml); in a
# checkout they are at its top, and so is instance/. An installed app keeps instance/ where it is started.
INSTALLED = (PACKAGE_DIR / "templates").is_dir()
RESOURCES_DIR = PACKAGE_DIR if INSTALLED else PACKAGE_DIR.parent
TEMPLATES_DIR = RESOURCES_DIR / "templates"
MIGRATIONS_DIR = RESOURCES_DIR / "migrations"
INSTANCE_DIR = (Path.cwd() if INSTALLED else PACKAGE_DIR.parent) / "instance"


DEVELOPMENT_SECRET_KEY = "dev-only-secret-change-me"
MIN_SECRET_KEY_LENGTH = 32
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class InsecureConfiguration(RuntimeError):
    """The app would serve people with settings anyone can forge; it refuses to start."""


def require_real_secret_key(config) -> None:
    """Anyone who knows the key signs sessions and the links in emails. The public development key,
    or a short one, is only accepted while the app answers on this machine alone."""
    if urlsplit(config["BASE_URL"]).hostname in LOOPBACK_HOSTS:
        return
    key = config.get("SECRET_KEY") or ""
    if key == DEVELOPMENT_SECRET_KEY or len(key) < MIN_SECRET_KEY_LENGTH:
        raise InsecureConfiguration(
            f"SECRET_KEY must be a random value of at least {MIN_SECRET_KEY_LENGTH} characters when the app is "
            f"served at {config['BASE_URL']}. Make one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )


def normalise_database_url(url: str) -> str:
    """Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_env(environ=None) -> dict:
    env = os.environ if environ is None else environ
    base_url = env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    secure = base_url.startswith("https://")
    database_url = normalise_database_url(
        env.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'loopline.sqlite3'}"
    )
    redis_url = env.get("REDIS_URL") or None
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # hide_parameters: a database error's message (logged, sent to Sentry) never quotes the
        # values it was given, which are often a customer's comment or email.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "REDIS_URL": redis_url,
        "SMTP_URL": env.get("SMTP_URL") or None,
        # Long enough for a relay that answers the end of DATA slowly: a timeout there means a retry,
        # and a retry of a message the relay kept is a duplicate (its Message-ID lets receivers drop it).
        "SMTP_TIMEOUT": float(env.get("SMTP_TIMEOUT", "60")),
        "MAIL_FROM": env.get("MAIL_FROM", "Loopline <no-reply@loopline.local>"),
        # Where a business's people write when their account needs us (e.g. it is suspended).
        "SUPPORT_EMAIL": env.get("SUPPORT_EMAIL", "support@loopline.local"),
        "OUTBOX_DIR": env.get("OUTBOX_DIR") or str(INSTANCE_DIR / "outbox"),
        "SENTRY_DSN": env.get("SENTRY_DSN") or None,
        # How many proxies (load balancer, router) stand in front of the app and add X-Forwarded-*:
        # the client address for rate limits is read through exactly that many.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "BASE_URL": base_url,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(PACKAGE_DIR / "translations"),
        **_rate_limits(env, redis_url),
        "OUTBOX_RETRY_AFTER": timedelta(minutes=int(env.get("OUTBOX_RETRY_MINUTES", "5"))),
        "MAIL_MAX_ATTEMPTS": int(env.get("MAIL_MAX_ATTEMPTS", "8")),
        # Billing: unset STRIPE_SECRET_KEY means payments are not configured (the plans are shown, not sold).
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or None,
        "STRIPE_AUTOMATIC_TAX": _flag("STRIPE_AUTOMATIC_TAX", False),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE") or None,  # another Stripe-compatible API (a local fake)
        # Where the admin pages link a business's Stripe customer (…/test in test mode).
        "STRIPE_DASHBOARD_URL": env.get("STRIPE_DASHBOARD_URL", "https://dashboard.stripe.com"),
        "BILLING_GRACE_DAYS": int(env.get("BILLING_GRACE_DAYS", "7")),
    }


def _rate_limits(env, redis_url: str | None) -> dict:
    return {
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # The limits fail open: while Redis is down a request is answered (and a customer's answer stored)
        # without being counted, rather than refused with a 500; the error is logged and /healthz says so.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        # The limited endpoints are forms for people, not an API: no X-RateLimit headers (each
        # would cost another Redis round trip on every submission and log-in).
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;100 per hour"),
        "RESET_RATE_LIMIT": env.get("RESET_RATE_LIMIT", "5 per minute;20 per hour"),
        "SURVEY_LOOKUP_SECONDS": float(env.get("SURVEY_LOOKUP_SECONDS", "5")),
        "SURVEY_RATE_LIMIT": env.get("SURVEY_RATE_LIMIT", "20 per minute;200 per day"),
    }
