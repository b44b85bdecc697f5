"""Who is acting: password hashing, login throttling, API tokens, and the `Actor` services check."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, bindparam, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from market.errors import N_, NotAllowed, NotAuthenticated, TooManyAttempts
from market.tables import ApiToken, LoginAttempt, Organisation, User, utcnow

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
    must_change_password: bool = False
    """After an operator's reset: nothing but choosing a new password until it is done."""

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise NotAllowed(
                "role: {value!r} may not do this (needs {roles})",
                value=self.role,
                role=self.role,
                roles=" or ".join(roles),
            )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Always hashes once: an unknown user, or one whose hash is unusable ("!unusable"), takes
    as long as any other, so the time of an answer does not tell which names exist."""
    if not password_hash.startswith("$argon2"):
        password_hash = _dummy_hash()
        password = password + "\x00never"
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def actor_for(session: Session, user: User) -> Actor:
    org = session.get(Organisation, user.organisation_id)
    assert user.id is not None and org is not None
    return Actor(
        user.id,
        user.username,
        user.role,
        user.organisation_id,
        org.name,
        user.session_epoch,
        user.must_change_password,
    )


def _searchable(username: str) -> bool:
    if any(ord(c) < 32 for c in username):
        return False
    try:
        username.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class Throttle:
    """The login throttle's limits (see `begin_login`)."""

    max_failures: int = 5
    """Failures of one username from one address before that pair is refused."""
    lockout_s: int = 300
    """The window the failures are counted in."""
    address_max_failures: int = 50
    """Failures from one address, whatever the username, before the address is refused."""
    address_per_minute: int = 60
    """Attempts (right or wrong) from one address in a minute."""
    user_delay_s: float = 2.0
    """The wait before a username with `max_failures` failures from anywhere is checked."""


@dataclass(frozen=True)
class Attempt:
    """A login attempt that has taken its place in the throttle and is counted as failed until
    `finish_login` says otherwise."""

    id: int
    user_id: int | None
    password_hash: str
    active: bool
    delay_s: float


def _serialise(session: Session, username: str, address: str) -> None:
    # Counting the failures and adding this attempt must be one step per username and address,
    # or 30 parallel guesses all count 4 failures and all get checked. SQLite's write
    # transaction (BEGIN IMMEDIATE) is already one at a time; PostgreSQL takes two transaction
    # advisory locks, always username first, so two logins cannot deadlock.
    if session.get_bind().dialect.name == "postgresql":
        session.exec(
            text(  # type: ignore[call-overload]
                "SELECT pg_advisory_xact_lock(1, hashtext(:u)), "
                "pg_advisory_xact_lock(2, hashtext(:a))"
            ).bindparams(u=username, a=address)
        )


def _count(session: Session, *where: Any) -> int:
    return int(session.exec(select(func.count()).select_from(LoginAttempt).where(*where)).one())


def _last_success(session: Session, *where: Any) -> datetime | None:
    found = session.exec(
        select(func.max(LoginAttempt.attempted_at)).where(col(LoginAttempt.succeeded), *where)
    ).one()
    return _aware(found)


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value  # type: ignore[no-any-return]


def _refuse_at(count: int, limit: int, template: str, *, field: str, **words: Any) -> None:
    """Refuse the login once `count` has reached the throttle's `limit`."""
    if count >= limit:
        raise TooManyAttempts(template, field=field, **words)


def begin_login(session: Session, username: str, address: str, throttle: Throttle) -> Attempt:
    """Check the throttle and take a place in it; the caller commits, checks the password
    outside the transaction, and calls `finish_login` if it is right.

    The throttle follows django-axes' default for a site behind one login form — a lock-out by
    username *and* client address together (`AXES_LOCKOUT_PARAMETERS = [["username",
    "ip_address"]]`), reset by a success of that pair — and OWASP's Authentication Cheat Sheet
    on lock-out abuse ("an attacker can lock out accounts at will"): failures of one username
    from many addresses never lock the account, they only make each further check of it wait
    `user_delay_s`, so the right password still gets through. An address is refused after
    `address_max_failures` failures (password spraying) or `address_per_minute` attempts.
    """
    address = address[:64]
    if not _searchable(username):
        # no account has such a name, and neither database can look for it (PostgreSQL refuses
        # a NUL, both drivers a lone surrogate): wrong, as any unknown name is
        raise NotAuthenticated("username or password is wrong")
    _serialise(session, username, address)
    now = utcnow()
    since = now - timedelta(seconds=throttle.lockout_s)
    A = LoginAttempt
    pair = (A.username == username, A.address == address)
    pair_since = max(since, _last_success(session, *pair) or since)
    failed = col(A.succeeded).is_(False)
    failures = _count(session, *pair, failed, col(A.attempted_at) >= pair_since)
    _refuse_at(
        failures,
        throttle.max_failures,
        N_("username: {username!r} has {failures} failed logins; try again in a few minutes"),
        field="username",
        username=username,
        failures=failures,
    )
    from_address = _count(session, A.address == address, failed, col(A.attempted_at) >= since)
    _refuse_at(
        from_address,
        throttle.address_max_failures,
        N_("address: {address!r} has {from_address} failed logins; try again in a few minutes"),
        field="address",
        address=address,
        from_address=from_address,
    )
    last_minute = _count(
        session, A.address == address, col(A.attempted_at) >= now - timedelta(seconds=60)
    )
    _refuse_at(
        last_minute,
        throttle.address_per_minute,
        N_("address: {address!r} tried {last_minute} logins in a minute; try again in a minute"),
        field="address",
        address=address,
        last_minute=last_minute,
    )
    user = session.exec(select(User).where(User.username == username)).first()
    user_since = max(since, _last_success(session, A.username == username) or since)
    user_failures = _count(
        session,
        A.username == username,
        col(A.succeeded).is_(False),
        col(A.attempted_at) >= user_since,
    )
    attempt = LoginAttempt(
        username=username[:80], user_id=user.id if user else None, address=address
    )
    session.add(attempt)
    session.flush()
    assert attempt.id is not None
    return Attempt(
        attempt.id,
        user.id if user else None,
        user.password_hash if user else "",
        bool(user and user.is_active),
        throttle.user_delay_s if user_failures >= throttle.max_failures else 0.0,
    )


def password_matches(attempt: Attempt, password: str) -> bool:
    """The slow part, outside any transaction: always hashes, for known and unknown names alike."""
    ok = verify_password(attempt.password_hash, password)
    return ok and attempt.user_id is not None and attempt.active


def finish_login(session: Session, attempt: Attempt) -> Actor:
    """The password was right: the attempt becomes a success (which resets the pair's count)."""
    row = session.get(LoginAttempt, attempt.id)
    user = session.get(User, attempt.user_id) if attempt.user_id is not None else None
    if row is None or user is None or not user.is_active:
        raise NotAuthenticated("username or password is wrong")
    row.succeeded = True
    session.add(row)
    return actor_for(session, user)


def check_password(
    session: Session,
    username: str,
    password: str,
    *,
    max_failures: int = 5,
    lockout_s: int = 300,
    address: str = "",
) -> Actor:
    """Log in in one step (the CLI and the tests): `begin_login`, the check, `finish_login`.

    The caller commits: a failure is recorded in the session before `NotAuthenticated` is raised.
    """
    attempt = begin_login(
        session, username, address, Throttle(max_failures=max_failures, lockout_s=lockout_s)
    )
    if not password_matches(attempt, password):
        raise NotAuthenticated("username or password is wrong")
    return finish_login(session, attempt)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(
    session: Session, actor: Actor, name: str = "", *, days: int = 30
) -> tuple[ApiToken, str]:
    raw = "wm_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.user_id,
        name=name,
        token_hash=token_digest(raw),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(token)
    return token, raw


@cache
def _caller_columns() -> Select[*tuple[Any, ...]]:
    # plain columns in one round trip: every request starts here (SQLAlchemy's own select, which
    # types this many columns; these run on the connection, not through Session.exec)
    return sa_select(
        col(User.id),
        col(User.username),
        col(User.role),
        col(User.organisation_id),
        col(User.is_active),
        col(User.session_epoch),
        col(User.must_change_password),
        col(Organisation.name).label("organisation"),
    ).join(Organisation, col(Organisation.id) == User.organisation_id)


@cache
def _by_token() -> Select[*tuple[Any, ...]]:
    return (
        _caller_columns()
        .add_columns(
            col(ApiToken.id).label("token_id"),
            col(ApiToken.revoked_at),
            col(ApiToken.last_used_at),
            col(ApiToken.expires_at),
        )
        .join(ApiToken, col(ApiToken.user_id) == User.id)
        .where(col(ApiToken.token_hash) == bindparam("digest"))
    )


@cache
def _by_user() -> Select[*tuple[Any, ...]]:
    return _caller_columns().where(col(User.id) == bindparam("user_id"))


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
    expires = _aware(row.expires_at)
    if expires is not None and expires <= utcnow():
        raise NotAuthenticated("token: expired; log in for a new one")
    if not row.is_active:
        raise NotAuthenticated("token: its user is inactive")
    actor = Actor(
        row.id,
        row.username,
        row.role,
        row.organisation_id,
        row.organisation,
        must_change_password=row.must_change_password,
    )
    return actor, TokenUse(row.token_id, row.last_used_at)


def actor_by_id(session: Session, user_id: int, epoch: int) -> Actor | None:
    """The user of a browser session, unless the session is from before their last logout."""
    row = session.connection().execute(_by_user(), {"user_id": user_id}).first()
    if row is None or not row.is_active or row.session_epoch != epoch:
        return None
    return Actor(
        user_id,
        row.username,
        row.role,
        row.organisation_id,
        row.organisation,
        row.session_epoch,
        row.must_change_password,
    )
