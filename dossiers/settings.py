"""The one settings object, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _default_instance_path() -> Path:
    return Path(os.environ.get("NTM_INSTANCE_PATH", Path.cwd() / "instance")).resolve()


@dataclass(frozen=True)
class Settings:
    """Configuration for every process: web, CLI, scheduler, migrations."""

    instance_path: Path = field(default_factory=_default_instance_path)
    database_url: str = ""
    secret_key: str = "dev-not-secret"  # noqa: S105 - development default, overridden by SECRET_KEY
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

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.instance_path / 'ntm.sqlite3'}")

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
            secret_key=env.get("SECRET_KEY", cls.secret_key),
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
        )


def _int_list(text: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    """ "7, 3, 1, 0" → (7, 3, 1, 0); unset or blank → the default."""
    if not text or not text.strip():
        return default
    return tuple(int(part) for part in text.replace(";", ",").split(",") if part.strip())
