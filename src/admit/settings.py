"""One Settings object, read from ``ADMIT_*`` environment variables.

Defaults are for a laptop: a SQLite file in the working directory, the dev mailbox, the
worker inside ``admit serve``. ``admit check-config`` reports what is wrong with a setting.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from limits import parse
from limits.storage import RedisClusterStorage, RedisSentinelStorage, RedisStorage
from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"

# The schemes of ADMIT_REDIS_URL: those the ``limits`` library's Redis storages take (redis,
# rediss, redis+unix, redis+sentinel, redis+cluster), less its valkey ones, which need the
# valkey client Admit does not ship.
REDIS_SCHEMES = tuple(
    scheme
    for storage in (RedisStorage, RedisSentinelStorage, RedisClusterStorage)
    for scheme in storage.STORAGE_SCHEME or ()
    if scheme.startswith("redis")
)


class Settings(BaseSettings):
    # A value refused is never repeated in the error's text (a URL's password would be logged).
    model_config = SettingsConfigDict(env_prefix="ADMIT_", extra="ignore", hide_input_in_errors=True)

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///admit.db"
    # PostgreSQL connections each process keeps (the web process, an ``admit worker``), and how
    # many more it opens under load: size ``max_connections`` for processes × (both + a few).
    db_pool_size: int = Field(default=10, ge=1, le=500)
    db_max_overflow: int = Field(default=20, ge=0, le=500)
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = DEV_SECRET

    # Phone numbers typed without a country code (``020 7946 0000``) are read as this region's.
    default_phone_region: str = "US"

    # Email
    email_backend: Literal["dev", "smtp"] = "dev"
    email_from: str = "Admit <no-reply@admit.localhost>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 20.0
    smtp_connections: int = Field(default=4, ge=1, le=32)
    # The relay delivers to addresses with non-ASCII characters before the @ (SMTPUTF8, RFC
    # 6531). When it does not, such addresses are refused where they are typed, not retried.
    smtp_utf8: bool = True
    # The shared secret the email provider's bounce and complaint callbacks carry
    # (``POST /api/v1/email-events/{provider}``); unset: that endpoint answers 404.
    email_events_secret: str | None = None

    # Webhooks (``admit.webhooks``): each portal's endpoints are called by the worker.
    # Loopback, private and link-local addresses are refused unless this is true (a test
    # machine, or endpoints on your own network that you trust).
    webhooks_allow_private: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Secrets Admit must read again (listed in ``kit.secretbox``) are sealed with this Fernet key
    # (or one derived from it);
    # unset, a key derived from ADMIT_SECRET_KEY (``kit.secretbox``).
    encryption_key: str | None = None

    # HR systems (``admit.directory.hr``): their URLs are checked as webhook URLs are; an HR
    # export on your own network needs this true.
    directory_allow_private: bool = False
    hr_timeout_seconds: float = Field(default=30.0, gt=0, le=300)

    # SMS (recipients known by phone number): ``dev`` keeps them in the dev mailbox, ``twilio`` sends.
    sms_backend: Literal["dev", "twilio"] = "dev"
    sms_from: str | None = None  # the sending number (E.164) or an alphanumeric sender id
    sms_twilio_account_sid: str | None = None
    sms_twilio_auth_token: str | None = None
    sms_twilio_base_url: str = "https://api.twilio.com"
    sms_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    # Worker
    run_worker_in_web: bool = True
    worker_poll_seconds: float = 1.0
    # A message is tried this many times before it is Failed, waiting 10 s, 20 s, 40 s … doubling
    # up to an hour between tries (``notifications.jobs.backoff``): 16 tries span 7 h 25 min, an
    # SMTP outage of an afternoon (8 gave up after 21 minutes).
    delivery_max_attempts: int = Field(default=16, ge=1, le=50)
    delivery_batch_size: int = Field(default=100, ge=1, le=10_000)
    # A claimed batch is this worker's for this long; a worker that dies holding one (killed,
    # its machine gone) leaves it to the others after that. Longer than a batch takes to send.
    delivery_lease_seconds: float = Field(default=300.0, ge=1.0, le=3600.0)

    # A request body (JSON, a form) larger than this is refused (413) before it is read; an
    # uploaded list (multipart, text/csv) may be up to import_max_bytes.
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=64 * 1024)

    # Bulk imports
    import_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    import_max_rows: int = Field(default=1_000_000, ge=1)

    # Sessions and security
    session_cookie_name: str = "admit_session"
    session_cookie_secure: bool = False
    session_lifetime_hours: int = Field(default=24 * 14, ge=1)
    password_min_length: int = Field(default=10, ge=8, le=128)
    sign_in_link_minutes: int = Field(default=30, ge=5, le=24 * 60)
    password_reset_minutes: int = Field(default=60, ge=5, le=24 * 60)

    # Operations: /metrics answers a loopback client, or anyone with this bearer token when set.
    metrics_token: str | None = None
    log_format: Literal["text", "json"] = "text"  # json: one object a line, with the request id

    # Rate limits (the `limits` library's notation). Redis when redis_url is set.
    redis_url: str | None = None
    # Proxies in front of Admit (addresses or networks, comma-separated): from them, the client's
    # address is read from X-Forwarded-For (``app.create_app``). Unset: the connecting address.
    trusted_proxies: str = ""
    redis_key_prefix: str = Field(default="admit", min_length=1, max_length=64)
    rate_limits_enabled: bool = True
    # A member's own invitations (owners and admins answer to the portal's limit only).
    member_invite_rate_limit: str = "100/day"
    # Messages (email and SMS, every kind, every path) one recipient may be sent: at most this
    # many a minute and a day (``notifications.service.recipient_waits``); what the person asks
    # for themselves and security notices are outside it (``notifications.service.UNCAPPED``).
    recipient_minute_limit: int = Field(default=1, ge=1, le=100)
    recipient_day_limit: int = Field(default=10, ge=1, le=1000)
    # Password tries (``auth.service.count_password_try``): per client address and account
    # address, and, higher, per account address from every client together. Neither ever refuses
    # a sign-in link or a password reset.
    login_rate_limit: str = "10/minute"  # every sign-in from one client address
    login_client_rate_limit: str = "10/hour"  # one client address's tries at one account
    login_address_rate_limit: str = "100/hour"
    # Sign-in links and password resets one client address may ask for one address, and how many
    # of a kind one account is sent, whoever asks.
    sign_in_request_rate_limit: str = "10/day"
    sign_in_link_account_rate_limit: str = "5/hour"
    # Wrong two-step verification codes (the app's, recovery codes), per account.
    sign_in_code_rate_limit: str = "5/15minutes"
    # Tries at a sign-in email's 6-digit code (``auth.service.use_sign_in_code``), as a password's:
    # per client address and account address, and, higher, per account address from every client
    # (a million codes: 20 tries an hour at most, whoever types them).
    sign_in_code_client_rate_limit: str = "5/hour"
    sign_in_code_address_rate_limit: str = "20/hour"
    token_rate_limit: str = "30/minute"
    scim_rate_limit: str = "1200/minute"  # SCIM requests per token
    invite_rate_limit: str = "2000/hour"
    # Invite links (sign-ups and join requests): per client address, per link, per email address.
    link_ip_rate_limit: str = "20/hour"
    link_rate_limit: str = "200/hour"
    link_address_rate_limit: str = "5/hour"

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _a_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise PydanticCustomError("database_url", "must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _a_redis(cls, value: str | None) -> str | None:
        """A URL the rate limits' Redis storage takes (``notaurl`` was read, then refused on the
        first sign-in, 503 ``busy`` on every one). The refusal names the scheme, never the value:
        it goes to logs, and the URL may hold a password."""
        if value is None or not value.strip():
            return None
        scheme, sep, rest = value.partition("://")
        if sep and rest and scheme.lower() in REDIS_SCHEMES:
            return value
        if not sep or not scheme.replace("+", "").isalnum():
            said = "no scheme"
        elif scheme.lower() in REDIS_SCHEMES:
            said = f"nothing after {scheme.lower()}://"
        else:
            said = f"{scheme.lower()}:// is not one of {', '.join(s + '://' for s in REDIS_SCHEMES)}"
        raise PydanticCustomError(
            "redis_url",
            "not a Redis URL: {said}; write redis://host:6379/0 (rediss:// over TLS, "
            "redis://:password@host:6379/0 with a password)",
            {"said": said},
        )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise PydanticCustomError(
                    "trusted_proxies",
                    "'{entry}' is not an address or a network: write the proxies' addresses, as "
                    "10.0.0.5,10.1.0.0/16",
                    {"entry": entry},
                ) from None
        return value

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]

    @field_validator("*")
    @classmethod
    def _a_rate(cls, value: object, info: ValidationInfo) -> object:
        """A ``*_rate_limit`` is read as the ``limits`` library reads it, here: a malformed one
        refused as the settings are read (it let every sign-in fail with 500 otherwise)."""
        if info.field_name and info.field_name.endswith("_rate_limit") and isinstance(value, str):
            try:
                parse(value)
            except ValueError:
                raise PydanticCustomError(
                    "rate_limit",
                    "'{value}' is not a rate limit: write how many per how long, as 5/minute, "
                    "100/day or 5/15minutes",
                    {"value": value},
                ) from None
        return value

    def served_at(self, host: str, port: int) -> Settings:
        """These settings for a server listening on ``host:port``: outside production, when
        ADMIT_PUBLIC_URL was not set, the links in emails point where the server listens (never
        taken from a request's Host header). In production the public URL must be set."""
        if "public_url" in self.model_fields_set or self.environment == "production":
            return self
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        shown = f"[{shown}]" if ":" in shown else shown
        return self.model_copy(update={"public_url": f"http://{shown}:{port}"})

    @property
    def pool_options(self) -> dict[str, int]:
        """The connection pool's size, for a ``Database`` of these settings (PostgreSQL; a
        SQLite file keeps the pool ``db.create_db_engine`` gives it)."""
        if self.is_sqlite:
            return {}
        return {"pool_size": self.db_pool_size, "max_overflow": self.db_max_overflow}

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def problems(self) -> list[str]:
        """Return what is wrong with this configuration, in words an operator can act on."""
        found: list[str] = []
        if self.environment == "production":
            if self.secret_key == DEV_SECRET:
                found.append("ADMIT_SECRET_KEY is the development placeholder; set a long random value")
            elif len(self.secret_key) < 32 or len(set(self.secret_key)) < 12:
                found.append(
                    "ADMIT_SECRET_KEY is too weak (it signs sessions and notices): use at least 32 random"
                    " characters, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
                )
            if self.public_url.startswith("http://"):
                found.append(
                    "ADMIT_PUBLIC_URL must be https:// in production (links and session cookies use it)"
                )
            if self.email_backend == "dev":
                found.append("ADMIT_EMAIL_BACKEND=dev keeps mail in a dev mailbox; use smtp")
            if "public_url" not in self.model_fields_set:
                found.append(
                    "ADMIT_PUBLIC_URL is required in production (the address in every link Admit sends)"
                )
            if not self.session_cookie_secure and self.public_url.startswith("https://"):
                found.append("ADMIT_SESSION_COOKIE_SECURE should be true behind https")
        if self.encryption_key:
            try:
                if len(base64.urlsafe_b64decode(self.encryption_key.encode())) != 32:
                    raise ValueError
            except (ValueError, binascii.Error):
                found.append(
                    "ADMIT_ENCRYPTION_KEY must be 32 bytes in url-safe base64 (a Fernet key), e.g. `python"
                    " -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`"
                )
        if not self.public_url.startswith(("http://", "https://")):
            found.append("ADMIT_PUBLIC_URL must start with http:// or https://")
        if self.email_backend == "smtp" and not self.smtp_host:
            found.append("ADMIT_SMTP_HOST is required with ADMIT_EMAIL_BACKEND=smtp")
        if bool(self.smtp_username) != bool(self.smtp_password):
            found.append("ADMIT_SMTP_USERNAME and ADMIT_SMTP_PASSWORD go together")
        if self.sms_backend == "twilio":
            for name in ("sms_twilio_account_sid", "sms_twilio_auth_token", "sms_from"):
                if not getattr(self, name):
                    found.append(f"ADMIT_{name.upper()} is required with ADMIT_SMS_BACKEND=twilio")
            if not self.sms_twilio_base_url.startswith(("http://", "https://")):
                found.append("ADMIT_SMS_TWILIO_BASE_URL must start with http:// or https://")
        return found


# ADMIT_* variables that are no settings: the test suite's and the benchmarks' own.
NOT_SETTINGS = ("ADMIT_TEST_", "ADMIT_REQUIRE_", "ADMIT_BENCH_")


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """A line for each ``ADMIT_*`` variable in ``environ`` that names no setting (it is ignored:
    ``ADMIT_REDIS_URI`` left the rate limits in memory), with the setting it resembles
    ("did you mean ADMIT_REDIS_URL?"). ``check-config``, ``serve`` and ``worker`` say them."""
    known = {f"ADMIT_{name.upper()}" for name in Settings.model_fields}
    said = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith("ADMIT_") or upper in known or upper.startswith(NOT_SETTINGS):
            continue
        close = difflib.get_close_matches(upper, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        said.append(f"{name} is not a setting Admit reads: it is ignored{hint}")
    return said


@lru_cache
def get_settings() -> Settings:
    return Settings()


def configure(settings: Settings) -> Settings:
    """Make ``settings`` the process-wide settings (the app, the CLI and tests call this)."""
    get_settings.cache_clear()
    global _override
    _override = settings
    return settings


_override: Settings | None = None


def current() -> Settings:
    """The settings in force: those given to ``configure``, else read from the environment."""
    return _override if _override is not None else get_settings()
