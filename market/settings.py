"""Configuration, read once from the environment and passed down as an argument."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

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
    match_time_limit_s: float = 30.0
    db_threads: int = 8
    caller_cache_s: float = 2.0
    seal_key_file: str = ""
    """The Ed25519 key that seals approved months; empty: beside the database (market.seals)."""
    report_due_day: int = 10
    max_upload_bytes: int = 10_000_000

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
        )

    def with_database(self, url: str) -> Settings:
        return replace(self, database_url=url)

    def seal_key_path(self) -> Path:
        from market.seals import default_key_path

        if self.seal_key_file:
            return Path(self.seal_key_file)
        return default_key_path(self.database_url)


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
