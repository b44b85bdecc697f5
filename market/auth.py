"""Who is acting: password hashing, login throttling, API tokens, and the `Actor` services check."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, bindparam
from sqlmodel import Session, col, delete, func, select

from market.errors import NotAllowed, NotAuthenticated, TooManyAttempts
from market.tables import ApiToken, LoginFailure, Organisation, User, utcnow

_hasher = PasswordHasher()
UNUSABLE_PASSWORD = "!unusable"


@cache
def _dummy_hash() -> str:
    # verifying against this keeps a login for an unknown user as slow as one for a known user
    return _hasher.hash("wastematch-timing-equaliser")


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    role: str
    organisation_id: int
    organisation: str
    session_epoch: int = 0
    """Browser sessions carry the epoch they began in; logging out moves it on, so a copy of
    an old session cookie stops working everywhere."""

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise NotAllowed(f"role: {self.role!r} may not do this (needs {' or '.join(roles)})")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def actor_for(session: Session, user: User) -> Actor:
    org = session.get(Organisation, user.organisation_id)
    assert user.id is not None and org is not None
    return Actor(
        user.id, user.username, user.role, user.organisation_id, org.name, user.session_epoch
    )


def _searchable(username: str) -> bool:
    if any(ord(c) < 32 for c in username):
        return False
    try:
        username.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_password(
    session: Session,
    username: str,
    password: str,
    *,
    max_failures: int = 5,
    lockout_s: int = 300,
) -> Actor:
    """Log in; after `max_failures` failures within `lockout_s` the username is refused for a while.

    The caller commits: a failure is recorded in the session before `NotAuthenticated` is raised.
    """
    if not _searchable(username):
        # no account has such a name, and neither database can look for it (PostgreSQL refuses
        # a NUL, both drivers a lone surrogate): wrong, as any unknown name is
        raise NotAuthenticated("username or password is wrong")
    since = utcnow() - timedelta(seconds=lockout_s)
    failures = session.exec(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == username, col(LoginFailure.failed_at) >= since)
    ).one()
    if failures >= max_failures:
        raise TooManyAttempts(
            f"username: {username!r} has {failures} failed logins; try again in a few minutes",
            field="username",
        )
    user = session.exec(select(User).where(User.username == username)).first()
    ok = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not ok or not user.is_active:
        session.add(LoginFailure(username=username[:80]))
        raise NotAuthenticated("username or password is wrong")
    session.exec(delete(LoginFailure).where(col(LoginFailure.username) == username))
    return actor_for(session, user)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(session: Session, actor: Actor, name: str = "") -> tuple[ApiToken, str]:
    raw = "wm_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.user_id, name=name, token_hash=token_digest(raw))
    session.add(token)
    return token, raw


@cache
def _caller_columns() -> Select[Any]:
    # plain columns in one round trip: every request starts here
    return select(
        User.id,
        User.username,
        User.role,
        User.organisation_id,
        User.is_active,
        User.session_epoch,
        Organisation.name.label("organisation"),  # type: ignore[attr-defined]
    ).join(Organisation, col(Organisation.id) == User.organisation_id)


@cache
def _by_token() -> Select[Any]:
    return (
        _caller_columns()
        .add_columns(
            ApiToken.id.label("token_id"),  # type: ignore[attr-defined]
            ApiToken.revoked_at,
            ApiToken.last_used_at,
        )
        .join(ApiToken, col(ApiToken.user_id) == User.id)
        .where(ApiToken.token_hash == bindparam("digest"))
    )


@cache
def _by_user() -> Select[Any]:
    return _caller_columns().where(User.id == bindparam("user_id"))


@dataclass(frozen=True)
class TokenUse:
    id: int
    last_used_at: datetime | None


def actor_from_token(session: Session, raw: str) -> tuple[Actor, TokenUse]:
    # prebuilt statements through the Core connection: this runs on every API call, and the
    # ORM's per-statement work cost more than the query
    row = session.connection().execute(_by_token(), {"digest": token_digest(raw)}).first()
    if row is None or row.revoked_at is not None:
        raise NotAuthenticated("token: unknown or revoked")
    if not row.is_active:
        raise NotAuthenticated("token: its user is inactive")
    actor = Actor(row.id, row.username, row.role, row.organisation_id, row.organisation)
    return actor, TokenUse(row.token_id, row.last_used_at)


def actor_by_id(session: Session, user_id: int, epoch: int) -> Actor | None:
    """The user of a browser session, unless the session is from before their last logout."""
    row = session.connection().execute(_by_user(), {"user_id": user_id}).first()
    if row is None or not row.is_active or row.session_epoch != epoch:
        return None
    return Actor(
        user_id, row.username, row.role, row.organisation_id, row.organisation, row.session_epoch
    )
