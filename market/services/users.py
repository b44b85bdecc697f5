from __future__ import annotations

import re

from sqlmodel import select

from market import fields
from market.auth import Actor, actor_for, check_password, hash_password, issue_token
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput, NotFound
from market.tables import ORG_KINDS, ROLES, ApiToken, Organisation, User, utcnow

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,79}$")
MIN_PASSWORD = 10


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"password: has {len(password)} characters, at least {MIN_PASSWORD} needed",
            field="password",
        )


def ensure_organisation(
    uow: UnitOfWork, name: str, kind: str, pg_ratio: float | None = None
) -> Organisation:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput.about("org", name, "must be 1 to 200 characters")
    # as any other text: a control character cannot go into a workbook export, nor a NUL or a
    # lone surrogate into the database
    name = fields.text({"org": name}, "org", required=True)
    if kind not in ORG_KINDS:
        raise InvalidInput.about("kind", kind, f"is not one of {', '.join(ORG_KINDS)}")
    org = uow.session.exec(select(Organisation).where(Organisation.name == name)).first()
    if org is None:
        org = Organisation(name=name, kind=kind, pg_ratio=pg_ratio)
        uow.session.add(org)
        uow.flush()
    elif org.kind != kind:
        raise Conflict(f"org: {name!r} is a {org.kind} organisation, not a {kind} one", field="org")
    return org


def add_user(uow: UnitOfWork, *, username: str, role: str, org: str, password: str) -> User:
    """Create a user in organisation `org` (created if new, of the role's kind)."""
    if not USERNAME.match(username or ""):
        raise InvalidInput.about(
            "username", username, "must be 2–80 letters, digits, or . _ @ - (no spaces)"
        )
    if role not in ROLES:
        raise InvalidInput.about("role", role, f"is not one of {', '.join(ROLES)}")
    check_password_strength(password)
    if uow.session.exec(select(User).where(User.username == username)).first():
        raise Conflict(f"username: {username!r} is taken", field="username", value=username)
    organisation = ensure_organisation(uow, org, role)
    assert organisation.id is not None
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        organisation_id=organisation.id,
    )
    uow.session.add(user)
    uow.commit()
    return user


def login(
    uow: UnitOfWork, username: str, password: str, *, max_failures: int, lockout_s: int
) -> Actor:
    try:
        actor = check_password(
            uow.session, username, password, max_failures=max_failures, lockout_s=lockout_s
        )
    finally:
        # a failure is recorded before the error propagates, so it must be committed too
        uow.commit()
    return actor


def end_sessions(uow: UnitOfWork, actor: Actor) -> None:
    """Log out: every browser session of this user, on every device, stops working."""
    user = uow.session.get(User, actor.user_id)
    if user is not None:
        user.session_epoch += 1
        uow.session.add(user)
    uow.commit()


def create_token(
    uow: UnitOfWork, actor: Actor, name: str = "", *, days: int = 30
) -> tuple[ApiToken, str]:
    token, raw = issue_token(uow.session, actor, name[:100], days=days)
    uow.commit()
    return token, raw


def revoke_token(uow: UnitOfWork, actor: Actor, token_id: int) -> ApiToken:
    token = uow.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.user_id:
        raise NotFound(f"token: {token_id} does not exist", field="token", value=token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        uow.session.add(token)
    uow.commit()
    return token


def actor_by_username(uow: UnitOfWork, username: str) -> Actor:
    user = uow.session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"username: {username!r} does not exist", field="username")
    return actor_for(uow.session, user)
