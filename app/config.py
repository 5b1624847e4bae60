"""Settings, read from environment variables.

Everything an operator may change lives here; nothing else reads os.environ.
"""

import os
import secrets
import time
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

PACKAGE_DIR = Path(__file__).resolve().parent
# the checkout (or, installed from the wheel, site-packages: set ABONENT_INSTANCE there)
BASE_DIR = PACKAGE_DIR.parent
INSTANCE_DIR = Path(os.environ.get("ABONENT_INSTANCE", BASE_DIR / "instance"))


def generated_once(path: Path, make) -> str:
    """A secret kept in a file readable by its owner only, created by the first process
    that needs it; processes starting together all read the one that won."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as out:
            out.write(make())
    for _ in range(50):  # the winner may still be writing
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty")


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    return os.environ.get("SECRET_KEY") or generated_once(
        INSTANCE_DIR / "secret_key", lambda: secrets.token_hex(32)
    )


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


APP_NAME = "Abonent"
SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'abonent.db'}")
SQLALCHEMY_TRACK_MODIFICATIONS = False
# a pooled connection is tested before use: after a database restart the next request or
# job reconnects instead of failing
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Alembic owns the schema; permissions are synchronised by `flask setup`, not per worker.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = False
FAB_SECURITY_MANAGER_CLASS = "app.security.AbonentSecurityManager"
FAB_INDEX_VIEW = "app.views.home.HomeView"
FAB_API_SWAGGER_UI = True
# users and roles are managed in the admin UI; the REST security CRUD stays off
FAB_ADD_SECURITY_API = False

AUTH_TYPE = AUTH_DB
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_RATE_LIMITED = True
RATELIMIT_ENABLED = True  # FAB defaults it off, which would disable AUTH_RATE_LIMITED
AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per 20 second")
# Redis, when configured, is where every web worker and host counts sign-in attempts; in
# memory ("memory://") each worker counts alone, so the limit is per worker
REDIS_URL = os.environ.get("REDIS_URL", "")
RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
FAB_PASSWORD_COMPLEXITY_ENABLED = True

PASSWORD_MIN_LENGTH = 12

WTF_CSRF_ENABLED = True
SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
PERMANENT_SESSION_LIFETIME = 8 * 3600

BABEL_DEFAULT_LOCALE = "en"
LANGUAGES = {
    "en": {"flag": "gb", "name": "English"},
    "it": {"flag": "it", "name": "Italiano"},
    "ko": {"flag": "kr", "name": "한국어"},
    "ru": {"flag": "ru", "name": "Русский"},
}

MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
MAIL_USE_TLS = _flag("MAIL_USE_TLS", False)
MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "billing@abonent.example")
MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "30"))
# where staff reach the app (e.g. https://abonent.example.com): emails to staff sent by jobs,
# which have no request to take it from, link to its pages; unset, they carry no link
APP_URL = os.environ.get("APP_URL", "").rstrip("/")
# a bill email that fails waits DELIVERY_BACKOFF seconds, doubled each time, at most
# DELIVERY_BACKOFF_MAX, and is given up after DELIVERY_MAX_ATTEMPTS
DELIVERY_MAX_ATTEMPTS = int(os.environ.get("DELIVERY_MAX_ATTEMPTS", "6"))
DELIVERY_BACKOFF = float(os.environ.get("DELIVERY_BACKOFF", "300"))
DELIVERY_BACKOFF_MAX = float(os.environ.get("DELIVERY_BACKOFF_MAX", "21600"))
# emails sent per run of the delivery job (it runs every few minutes)
DELIVERY_BATCH = int(os.environ.get("DELIVERY_BATCH", "500"))
# dunning SMS (app/services/dunning/sms.py): `log` writes them to the log, `http` posts
# them to SMS_URL signed with SMS_SECRET; they are retried as bill emails are
SMS_ADAPTER = os.environ.get("SMS_ADAPTER", "log")
SMS_URL = os.environ.get("SMS_URL", "")
SMS_SECRET = os.environ.get("SMS_SECRET", "")
SMS_TIMEOUT = float(os.environ.get("SMS_TIMEOUT", "10"))

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "")
BABEL_TRANSLATION_DIRECTORIES = str(PACKAGE_DIR / "translations")

# Bill runs: accounts per chunk (one transaction each); an account with usage not rated yet
# is left unbilled with the reason ("refuse"), or billed without that usage ("skip")
BILL_RUN_CHUNK = int(os.environ.get("BILL_RUN_CHUNK", "1000"))
BILL_UNRATED_USAGE = os.environ.get("BILL_UNRATED_USAGE", "refuse")
# the daily bill-run job runs every date since the last completed run, at most this many
# days back (an older period is billed with `flask billing run --date`)
BILL_RUN_CATCH_UP_DAYS = int(os.environ.get("BILL_RUN_CATCH_UP_DAYS", "92"))

# a rating or bill run beats every 15 s: another process takes its lock over (and marks the
# bill run failed) at once when the run's process is gone from this host, and after this
# many seconds without a beat when it ran on another host
RUN_LOCK_STALE = float(os.environ.get("RUN_LOCK_STALE", "120"))

# PostgreSQL: chunks of accounts rated in parallel, one connection each (SQLite: one writer)
RATING_WORKERS = int(os.environ.get("RATING_WORKERS", "2"))

# Provisioning: `log` records requests only (the demo); `http` POSTs each one, signed with
# HMAC-SHA256 over "<timestamp>.<body>", to the network's provisioning gateway.
PROVISIONING_ADAPTER = os.environ.get("PROVISIONING_ADAPTER", "log")
PROVISIONING_URL = os.environ.get("PROVISIONING_URL", "")
PROVISIONING_SECRET = os.environ.get("PROVISIONING_SECRET", "")
PROVISIONING_TIMEOUT = float(os.environ.get("PROVISIONING_TIMEOUT", "10"))
PROVISIONING_MAX_ATTEMPTS = int(os.environ.get("PROVISIONING_MAX_ATTEMPTS", "8"))
# a failed attempt waits BACKOFF seconds, doubled each time, at most BACKOFF_MAX
PROVISIONING_BACKOFF = float(os.environ.get("PROVISIONING_BACKOFF", "30"))
PROVISIONING_BACKOFF_MAX = float(os.environ.get("PROVISIONING_BACKOFF_MAX", "3600"))

# The legal entity a new region starts from (then edited on the regions screen): each
# region's bills name the region's own. Address lines separated by ";".
OPERATOR_NAME = os.environ.get("OPERATOR_NAME", "Abonent Telecom")
OPERATOR_ADDRESS = os.environ.get("OPERATOR_ADDRESS", "Via dell'Esempio 1; 00100 Roma RM, Italia")
OPERATOR_TAX_LABEL = os.environ.get("OPERATOR_TAX_LABEL", "Partita IVA")
OPERATOR_TAX_NUMBER = os.environ.get("OPERATOR_TAX_NUMBER", "IT00000000000")
OPERATOR_BANK_ACCOUNT = os.environ.get("OPERATOR_BANK_ACCOUNT", "")

# Prepaid (docs/prepaid.md): a customer is emailed once when the balance falls below the
# threshold of its currency ("EUR:5,RUB:300,KRW:5000"; a currency not named gets no notice)
PREPAID_LOW_BALANCE = os.environ.get("PREPAID_LOW_BALANCE", "EUR:5,RUB:300,KRW:5000")

# The accounting journal export (docs/receivables.md, "Accounting journal"): the general
# ledger account each side of a posting goes to. GL_<NAME> overrides one (GL_VAT=2610).
GL_DEFAULTS = {
    "receivables": "1200",  # what customers owe for their bills
    "cash_cash": "1000",  # money received, by payment method
    "cash_bank_transfer": "1010",
    "cash_card": "1020",
    "cash_direct_debit": "1030",
    "cash_voucher": "2150",  # vouchers sold and not yet used
    "deposits": "2200",  # deposits held for customers
    "prepaid": "2300",  # prepaid balances customers may still spend
    "vat": "2400",  # VAT payable
    "revenue_mobile_recurring": "4000",  # bill revenue per line type and kind of line
    "revenue_mobile_usage": "4010",
    "revenue_mobile_activation": "4020",
    "revenue_fixed_recurring": "4100",
    "revenue_fixed_usage": "4110",
    "revenue_fixed_activation": "4120",
    "revenue_other": "4190",  # a line whose product is unknown
    "prepaid_usage": "4200",  # usage debited from prepaid balances
    "discounts": "4900",
    "adjustments": "4910",  # adjustments and credits on bills, prepaid corrections
    "rounding": "4990",  # an invoice whose lines and VAT miss its total by a rounding
}
GL_ACCOUNTS = {
    name: os.environ.get(f"GL_{name.upper()}", code) for name, code in GL_DEFAULTS.items()
}

# Online payment (docs/online-payment.md): `sandbox`, the built-in test gateway, or `stripe`
PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "sandbox")
# a checkout link not paid within this many seconds expires
CHECKOUT_SESSION_TTL = int(os.environ.get("CHECKOUT_SESSION_TTL", "3600"))
# what a customer may top up online in one go, per currency: (least, most)
TOPUP_LIMITS = {"EUR": ("5", "500"), "RUB": ("100", "50000"), "KRW": ("5000", "700000")}
# a webhook signed longer ago than this is refused (a replay)
WEBHOOK_TOLERANCE = int(os.environ.get("WEBHOOK_TOLERANCE", "300"))
# the sandbox signs its webhooks with this secret (generated once when not given); it posts
# them to SANDBOX_WEBHOOK_URL over HTTP (`make run`: the app's own); unset, in the process
SANDBOX_WEBHOOK_SECRET = os.environ.get("SANDBOX_WEBHOOK_SECRET") or generated_once(
    INSTANCE_DIR / "sandbox_webhook_secret", lambda: secrets.token_hex(32)
)
SANDBOX_WEBHOOK_URL = os.environ.get("SANDBOX_WEBHOOK_URL", "")
SANDBOX_WEBHOOK_TIMEOUT = float(os.environ.get("SANDBOX_WEBHOOK_TIMEOUT", "5"))
STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# tests point the stripe library at a local server that answers as Stripe's API does
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")

# Dunning (docs/dunning.md): how far ahead a customer may promise to pay
DUNNING_PROMISE_MAX_DAYS = int(os.environ.get("DUNNING_PROMISE_MAX_DAYS", "30"))

# Attachments of customer interactions (voice recordings, scanned documents): their files
# are kept outside the database, in this directory (default: `attachments` in the instance
# directory), each under its SHA-256; larger uploads are refused
ATTACHMENT_DIR = os.environ.get("ATTACHMENT_DIR", "")
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))

# The portal's emailed links (docs/portal.md): an invitation to set one's password is valid
# this many seconds (7 days), a password-reset link this many (1 hour); each works once
PORTAL_INVITATION_TTL = int(os.environ.get("PORTAL_INVITATION_TTL", str(7 * 24 * 3600)))
PORTAL_RESET_TTL = int(os.environ.get("PORTAL_RESET_TTL", "3600"))
