"""The one settings object, read from the environment."""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

#: evidence kinds accepted by default: PDF, images, Office and OpenDocument files, ZIP
DEFAULT_EVIDENCE_TYPES = (
    "pdf", "jpg", "png", "gif", "webp", "tif", "heic",
    "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf",
    "zip",
)  # fmt: skip


def _default_instance_path() -> Path:
    return Path(os.environ.get("NTM_INSTANCE_PATH", Path.cwd() / "instance")).resolve()


@dataclass(frozen=True)
class Settings:
    """Configuration for every process: web, CLI, scheduler, migrations."""

    instance_path: Path = field(default_factory=_default_instance_path)
    database_url: str = ""
    #: "production" (the default), "development" or "test"; only the last two may run without SECRET_KEY
    environment: str = "production"
    #: signs session cookies; required in production (see `require_secret_key`)
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:5000"
    timezone: str = "Asia/Ho_Chi_Minh"
    mail_server: str = ""
    mail_port: int = 25
    mail_use_tls: bool = False
    mail_use_ssl: bool = False
    mail_username: str = ""
    mail_password: str = ""
    mail_sender: str = "NTM Dossiers <no-reply@ntm.local>"
    mail_timeout: float = 30.0
    #: temporary SMTP failures (4xx, connection lost) tolerated before a message is marked failed
    mail_max_attempts: int = 8
    #: reminders go out this many days before a deadline's last day (0 = on the day) ...
    reminder_offsets: tuple[int, ...] = (7, 3, 1, 0)
    #: ... and the supervising coordinator is told this many days after it passed
    escalation_offsets: tuple[int, ...] = (1,)
    #: local time (Asia/Ho_Chi_Minh, "HH:MM") from which a day's reminders go out
    reminder_send_at: str = "07:00"
    #: one e-mail per person per run listing all their items
    reminder_digest: bool = True
    #: after downtime, a missed reminder older than this many days is not sent late
    reminder_catch_up_days: int = 7
    #: seconds between two runs of the scheduler's scan
    scheduler_interval: float = 300
    #: the site is served over HTTPS: cookies are marked Secure, plain HTTP is redirected, HSTS is sent
    https: bool = False
    #: number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none)
    proxy_count: int = 0
    #: minutes without a request after which a session ends
    session_idle_minutes: int = 60
    #: where Flask-Limiter keeps its counters; "memory://" is per process: use redis:// or memcached://
    #: when several workers serve the site, or the limits are per worker
    ratelimit_storage_uri: str = "memory://"
    #: wrong passwords allowed per account, and per address, before sign-in is refused for a while
    login_limit_account: str = "10 per 15 minutes"
    login_limit_address: str = "30 per 15 minutes"
    #: calls allowed per API token (Flask-Limiter notation; several limits separated by ";")
    api_rate_limit: str = "120 per minute;5000 per hour"
    #: largest evidence file, in MB; a request body above this (plus a little for the form) is refused unread
    evidence_max_mb: int = 50
    #: evidence file kinds accepted, decided by content (extensions as the `filetype` package names them)
    evidence_types: tuple[str, ...] = DEFAULT_EVIDENCE_TYPES

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.instance_path / 'ntm.sqlite3'}")

    @property
    def may_run_without_secret_key(self) -> bool:
        return self.environment in {"development", "test"}

    def require_secret_key(self) -> str:
        """The key that signs cookies. Outside development and tests there is no fallback: a known key lets
        anyone forge a session, so a missing one stops the app instead."""
        if self.secret_key:
            return self.secret_key
        if self.may_run_without_secret_key:
            return instance_secret_key(self.instance_path)
        raise MissingSecretKeyError(
            "SECRET_KEY is not set. Set it to a long random value (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`), or set NTM_ENV=development "
            "to run locally with a key generated in the instance folder."
        )

    @property
    def evidence_path(self) -> Path:
        return self.instance_path / "evidence"

    @property
    def mail_sink_path(self) -> Path:
        """Where e-mails go as .eml files when no SMTP server is configured."""
        return self.instance_path / "outbox"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)

        def flag(name: str) -> bool:
            return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}

        instance = (
            Path(env["NTM_INSTANCE_PATH"]).resolve() if env.get("NTM_INSTANCE_PATH") else _default_instance_path()
        )
        return cls(
            instance_path=instance,
            database_url=env.get("DATABASE_URL", ""),
            environment=(env.get("NTM_ENV", "") or cls.environment).strip().lower(),
            secret_key=env.get("SECRET_KEY", "").strip(),
            base_url=env.get("NTM_BASE_URL", cls.base_url).rstrip("/"),
            mail_server=env.get("MAIL_SERVER", ""),
            mail_port=int(env.get("MAIL_PORT", "25") or 25),
            mail_use_tls=flag("MAIL_USE_TLS"),
            mail_use_ssl=flag("MAIL_USE_SSL"),
            mail_username=env.get("MAIL_USERNAME", ""),
            mail_password=env.get("MAIL_PASSWORD", ""),
            mail_sender=env.get("MAIL_SENDER", cls.mail_sender),
            mail_timeout=float(env.get("MAIL_TIMEOUT", "") or cls.mail_timeout),
            mail_max_attempts=int(env.get("MAIL_MAX_ATTEMPTS", "") or cls.mail_max_attempts),
            reminder_offsets=_int_list(env.get("NTM_REMINDER_OFFSETS"), cls.reminder_offsets),
            escalation_offsets=_int_list(env.get("NTM_ESCALATION_OFFSETS"), cls.escalation_offsets),
            reminder_send_at=env.get("NTM_REMINDER_SEND_AT", "") or cls.reminder_send_at,
            reminder_digest=flag("NTM_REMINDER_DIGEST") if env.get("NTM_REMINDER_DIGEST") else cls.reminder_digest,
            reminder_catch_up_days=int(env.get("NTM_REMINDER_CATCH_UP_DAYS", "") or cls.reminder_catch_up_days),
            scheduler_interval=float(env.get("NTM_SCHEDULER_INTERVAL", "") or cls.scheduler_interval),
            https=flag("NTM_HTTPS"),
            proxy_count=int(env.get("NTM_PROXY_COUNT", "") or cls.proxy_count),
            session_idle_minutes=int(env.get("NTM_SESSION_IDLE_MINUTES", "") or cls.session_idle_minutes),
            ratelimit_storage_uri=env.get("NTM_RATELIMIT_STORAGE_URI", "") or cls.ratelimit_storage_uri,
            login_limit_account=env.get("NTM_LOGIN_LIMIT_ACCOUNT", "") or cls.login_limit_account,
            login_limit_address=env.get("NTM_LOGIN_LIMIT_ADDRESS", "") or cls.login_limit_address,
            api_rate_limit=env.get("NTM_API_RATE_LIMIT", "") or cls.api_rate_limit,
            evidence_max_mb=int(env.get("NTM_EVIDENCE_MAX_MB", "") or cls.evidence_max_mb),
            evidence_types=_word_list(env.get("NTM_EVIDENCE_TYPES"), cls.evidence_types),
        )


def _word_list(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """ "pdf, jpg png" → ("pdf", "jpg", "png"); unset or blank → the default."""
    if not text or not text.strip():
        return default
    return tuple(
        part.strip().lower().lstrip(".") for part in text.replace(";", ",").replace(" ", ",").split(",") if part.strip()
    )


class MissingSecretKeyError(RuntimeError):
    """Production without SECRET_KEY."""


SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


def instance_secret_key(instance_path: Path) -> str:
    """A random key generated once per instance folder and kept there (mode 600), for development and the demo."""
    path = instance_path / SECRET_KEY_FILE
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # written aside, then linked into place: a concurrent reader never sees a half-written key
        handle, temporary = tempfile.mkstemp(dir=instance_path, prefix=".secret-")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(secrets.token_urlsafe(48) + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def _int_list(text: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """ "7, 3, 1, 0" → (7, 3, 1, 0); unset or blank → the default."""
    if not text or not text.strip():
        return default
    return tuple(int(part) for part in text.replace(";", ",").split(",") if part.strip())
