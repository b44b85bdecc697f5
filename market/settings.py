"""Configuration, read once from the environment and passed down as an argument."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from market.auth import Throttle
from seed_data import load_policy

DEMO_SECRET = "wastematch-demo-secret-not-for-production"
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", DEMO_SECRET})


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and its value."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///wastematch.db"
    secret_key: str = DEMO_SECRET
    demo: bool = False
    circuity: float = 1.4
    cost_per_t_km: float = 0.6
    co2_kg_per_t_km: float = 0.08
    receipt_tolerance: float = 0.02
    secure_cookies: bool = False
    login_max_failures: int = 5
    login_lockout_s: int = 300
    login_address_max_failures: int = 50
    login_per_address_per_min: int = 60
    login_user_delay_s: float = 2.0
    hash_threads: int = 1
    """Password hashing runs in a pool of its own this size, apart from the database threads."""
    hash_queue: int = 16
    """Logins waiting for the hashing pool beyond this many are refused (429) at once."""
    token_days: int = 30
    match_time_limit_s: float = 30.0
    db_threads: int = 8
    caller_cache_s: float = 2.0
    seal_key_file: str = ""
    """The Ed25519 key that seals approved months; empty: beside the database (market.seals)."""
    report_due_day: int = 10
    max_upload_bytes: int = 10_000_000
    smtp_url: str = ""
    """`smtp://host:port` of the mail server notifications go through; empty: no mail is sent
    (notifications still queue in the outbox)."""
    mail_from: str = "wastematch@localhost"
    public_url: str = ""
    """The site's address as people reach it, put before the links in mails."""
    mail_poll_s: float = 10.0
    mail_retry_s: float = 30.0
    """The first retry of a mail that could not be sent; each further one waits twice as long."""
    job_processes: int = 1
    """`wastematch worker` processes each app process starts beside it (the solver is
    CPU-bound: in a process of its own it never holds the web process's GIL)."""
    job_threads: int = 0
    """Job workers each app process runs in its own threads instead (simpler, slower pages
    while a solve runs). Both 0: the jobs wait for a separately run `wastematch worker`."""
    job_heartbeat_s: float = 5.0
    job_stale_s: float = 60.0
    """A running job whose worker has not beaten for this long is queued again (or failed)."""
    job_max_attempts: int = 3
    inline_max_pairs: int = 250_000
    """A match run, plan or siting over at most this many open lots x open offers is done in
    the request (201/200, as before jobs); a larger one is queued as a job (202)."""
    inline_max_export_rows: int = 20_000
    """A CSV or Excel export of more rows than this is written by a job (docs/jobs.md)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, demo: bool = False) -> Settings:
        env = os.environ if env is None else env
        policy = load_policy()
        secret = env.get("WASTEMATCH_SECRET_KEY", "")
        if not demo and secret in PLACEHOLDER_SECRETS:
            shown = secret or "(unset)"
            raise SettingsError(
                f"WASTEMATCH_SECRET_KEY: {shown!r} is not a secret; set a long random value "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if demo and not secret:
            secret = DEMO_SECRET
        return cls(
            database_url=env.get("WASTEMATCH_DATABASE_URL", cls.database_url),
            secret_key=secret,
            demo=demo,
            circuity=_positive(env, "WASTEMATCH_ROAD_CIRCUITY", policy.circuity, minimum=1.0),
            cost_per_t_km=_positive(env, "WASTEMATCH_COST_PER_T_KM", policy.cost_per_t_km),
            co2_kg_per_t_km=policy.co2_kg_per_t_km,
            receipt_tolerance=_positive(
                env, "WASTEMATCH_RECEIPT_TOLERANCE", policy.receipt_tolerance
            ),
            secure_cookies=env.get("WASTEMATCH_SECURE_COOKIES", "0").lower() in {"1", "true"},
            db_threads=int(_positive(env, "WASTEMATCH_DB_THREADS", cls.db_threads, minimum=1)),
            caller_cache_s=_positive(env, "WASTEMATCH_CALLER_CACHE_S", cls.caller_cache_s),
            seal_key_file=env.get("WASTEMATCH_SEAL_KEY_FILE", ""),
            report_due_day=policy.report_due_day,
            login_per_address_per_min=int(
                _positive(
                    env, "WASTEMATCH_LOGIN_PER_ADDRESS_PER_MIN", cls.login_per_address_per_min, 1
                )
            ),
            login_address_max_failures=int(
                _positive(
                    env, "WASTEMATCH_LOGIN_ADDRESS_MAX_FAILURES", cls.login_address_max_failures, 1
                )
            ),
            hash_threads=int(_positive(env, "WASTEMATCH_HASH_THREADS", cls.hash_threads, 1)),
            token_days=int(_positive(env, "WASTEMATCH_TOKEN_DAYS", cls.token_days, minimum=1)),
            smtp_url=_smtp_url(env.get("WASTEMATCH_SMTP_URL", "")),
            mail_from=env.get("WASTEMATCH_MAIL_FROM", "") or cls.mail_from,
            public_url=env.get("WASTEMATCH_PUBLIC_URL", "").rstrip("/"),
            mail_poll_s=_positive(env, "WASTEMATCH_MAIL_POLL_S", cls.mail_poll_s, minimum=0.05),
            mail_retry_s=_positive(env, "WASTEMATCH_MAIL_RETRY_S", cls.mail_retry_s, minimum=0.0),
            job_processes=int(_positive(env, "WASTEMATCH_JOB_PROCESSES", cls.job_processes)),
            job_threads=int(_positive(env, "WASTEMATCH_JOB_THREADS", cls.job_threads)),
            job_heartbeat_s=_positive(
                env, "WASTEMATCH_JOB_HEARTBEAT_S", cls.job_heartbeat_s, minimum=0.1
            ),
            job_stale_s=_positive(env, "WASTEMATCH_JOB_STALE_S", cls.job_stale_s, minimum=1.0),
            job_max_attempts=int(
                _positive(env, "WASTEMATCH_JOB_MAX_ATTEMPTS", cls.job_max_attempts, minimum=1)
            ),
            inline_max_pairs=int(
                _positive(env, "WASTEMATCH_INLINE_MAX_PAIRS", cls.inline_max_pairs)
            ),
            inline_max_export_rows=int(
                _positive(env, "WASTEMATCH_INLINE_MAX_EXPORT_ROWS", cls.inline_max_export_rows)
            ),
        )

    def throttle(self) -> Throttle:
        return Throttle(
            max_failures=self.login_max_failures,
            lockout_s=self.login_lockout_s,
            address_max_failures=self.login_address_max_failures,
            address_per_minute=self.login_per_address_per_min,
            user_delay_s=self.login_user_delay_s,
        )

    def with_database(self, url: str) -> Settings:
        return replace(self, database_url=url)

    def seal_key_path(self) -> Path:
        from market.seals import default_key_path

        if self.seal_key_file:
            return Path(self.seal_key_file)
        return default_key_path(self.database_url)


def demo_secret(database_url: str) -> str:
    """The session secret of a demo database: made at random the first time and kept beside it
    (`<file>.secret` for SQLite, mode 0600), so a cookie forged with the published demo secret,
    or taken from somebody else's demo, works on no other demo.

    A database that is not a file keeps it in its own `app_setting` table.
    """
    import secrets

    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(str(url.database) + ".secret")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
        return path.read_text().strip()
    if url.get_backend_name() == "sqlite":
        return secrets.token_urlsafe(48)  # in memory: lives as long as the process
    from market.db import Database
    from market.tables import AppSetting

    db = Database(database_url)
    try:
        with db.unit_of_work() as uow:
            row = uow.session.get(AppSetting, "demo_secret")
            if row is None:
                row = AppSetting(key="demo_secret", value={"secret": secrets.token_urlsafe(48)})
                uow.session.add(row)
                uow.commit()
            return str(row.value["secret"])
    finally:
        db.dispose()


def _positive(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}: {raw!r} is not a number") from None
    if not (value == value and value not in (float("inf"), float("-inf"))) or value < minimum:
        raise SettingsError(f"{name}: {raw!r} must be a finite number >= {minimum}")
    return value


def _smtp_url(raw: str) -> str:
    """`smtp://host:port` (port 25 when left out), checked when the settings are read."""
    if not raw:
        return ""
    from urllib.parse import urlsplit

    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme != "smtp" or not parts.hostname or port == -1 or parts.path not in ("", "/"):
        raise SettingsError(f"WASTEMATCH_SMTP_URL: {raw!r} is not smtp://host:port")
    return raw
