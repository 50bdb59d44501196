"""Configuration from the environment (the names of ../shared/spec/contract.md)."""
import os
from datetime import timedelta

HTMX_VERSION = "2.0.11"
HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
# SRI hash of dist/htmx.min.js in the npm package htmx.org@2.0.11; bin/setup checks the
# local copy against the same hash, so the CDN file and the offline file are one file.
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"

DEFAULT_DEMO_PASSWORD = "demo-wachtwoord-2026"


def _bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "ja", "on")


def _lijst(name):
    return [deel.strip() for deel in (os.environ.get(name) or "").split(",") if deel.strip()]


def from_environment():
    """The settings an operator can change, read once when the app is made."""
    development = os.environ.get("FLASK_DEBUG") == "1" or os.environ.get("LEERLINGLIJST_ENV") == "development"
    return {
        "DEVELOPMENT": development,
        # The base of every link in a mail (contract.md); unset: http://127.0.0.1:$PORT, said at start-up.
        "PUBLIC_URL": (os.environ.get("PUBLIC_URL") or "").strip() or None,
        "PORT": os.environ.get("PORT") or "5000",
        "EXTRA_HOSTS": _lijst("EXTRA_HOSTS"),
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT") or 0),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "DATABASE_URL": os.environ.get("DATABASE_URL"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER") or "Leerlinglijst <noreply@leerlinglijst.nl>",
        "HELPDESK_EMAIL": os.environ.get("HELPDESK_EMAIL") or "helpdesk@leerlinglijst.nl",
        # Shown in the footer and in every mail next to HELPDESK_EMAIL (left out while empty).
        "HELPDESK_TELEFOON": os.environ.get("HELPDESK_TELEFOON") or "",
        # The names users see (glossary): the product, the portal for accounts, the public site.
        "PRODUCT_NAAM": os.environ.get("PRODUCT_NAAM") or "InterGrip",
        "PORTAAL_NAAM": os.environ.get("PORTAAL_NAAM") or "InterGrip Portaal",
        "SITE_NAAM": os.environ.get("SITE_NAAM") or "leerlinglijst.nl",
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD,
        "HTMX_CDN": _bool("HTMX_CDN", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") and os.environ["REDIS_URL"] or "memory://",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", not development),
        "MAIL_WORKER": _bool("MAIL_WORKER", True),
        "CONTROLE_WORKER": _bool("CONTROLE_WORKER", True),
        "CONTROLE_INLINE_BYTES": int(os.environ.get("CONTROLE_INLINE_BYTES") or 2_000_000),
        "MAIL_WORKER_INTERVAL": float(os.environ.get("MAIL_WORKER_INTERVAL") or 5),
        "BEWAARTERMIJN_DAGEN": int(os.environ.get("BEWAARTERMIJN_DAGEN") or 90),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT") or 20),
        "SESSION_MAX_HOURS": float(os.environ.get("SESSION_MAX_HOURS") or 12),
        "SESSION_MAX_HOURS_HELPDESK": float(os.environ.get("SESSION_MAX_HOURS_HELPDESK") or 8),
    }


DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "leerlinglijst_sessie",
    # Idle time-out: the session cookie is renewed on every request and expires after this.
    "PERMANENT_SESSION_LIFETIME": timedelta(minutes=30),
    "SESSION_REFRESH_EACH_REQUEST": True,
    "WTF_CSRF_TIME_LIMIT": 4 * 3600,
    "WTF_CSRF_HEADERS": ["X-CSRFToken"],
    "MAX_CONTENT_LENGTH": 21 * 1024 * 1024,  # the 20 MB file plus the form around it
    "MAX_UPLOAD_BYTES": 20 * 1024 * 1024,
    "MAX_UPLOAD_ROWS": 50_000,
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_LIMIT": "10 per minute; 50 per hour",
    "PUBLIC_UPLOAD_LIMIT": "20 per hour",          # per visitor (address + session)
    "PUBLIC_UPLOAD_LIMIT_ADRES": "100 per hour",   # per address, for all its visitors together
    "MAIL_PER_RECIPIENT_PER_DAY": 10,
    "WACHTWOORD_LINK_GELDIG_SECONDEN": 3600,
    # Per account (known or not): this many wrong passwords go free, then each next one doubles a
    # wait, from LOGIN_BACKOFF_SECONDS up to LOGIN_BACKOFF_MAX_SECONDS.
    "LOGIN_FREE_ATTEMPTS": 5,
    "LOGIN_BACKOFF_SECONDS": 30,
    "LOGIN_BACKOFF_MAX_SECONDS": 3600,
    "RESET_MAILS_PER_HOUR": 3,
    "HSTS_MAX_AGE": 365 * 24 * 3600,
}
