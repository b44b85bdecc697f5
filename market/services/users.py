from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from sqlmodel import col, func, select

from market import fields, schemas
from market.auth import (
    Actor,
    actor_for,
    check_password,
    hash_password,
    issue_token,
    verify_password,
)
from market.db import UnitOfWork
from market.errors import N_, Conflict, InvalidInput, NotAuthenticated, NotFound
from market.schemas.bodies import MIN_PASSWORD, PasswordChange, UserCreate
from market.schemas.kinds import check_email
from market.services.common import stamp_once
from market.tables import (
    ORG_KINDS,
    ROLES,
    ApiToken,
    LoginAttempt,
    Organisation,
    User,
    utcnow,
)

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,79}$")

TOO_SHORT = {
    # a password field: its refusal, and the name it gives the password's length
    "password": (
        N_("password: has {n_password} characters, at least {MIN_PASSWORD} needed"),
        "n_password",
    ),
    "new_password": (
        N_("new_password: has {n_new} characters, at least {MIN_PASSWORD} needed"),
        "n_new",
    ),
}


def check_password_strength(password: str, field: str = "password") -> None:
    """A password a user chooses (`field` of the body) has at least MIN_PASSWORD characters."""
    if len(password) < MIN_PASSWORD:
        template, count = TOO_SHORT[field]
        length: dict[str, Any] = {count: len(password)}
        raise InvalidInput(template, field=field, **length, MIN_PASSWORD=MIN_PASSWORD)


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
        raise InvalidInput.about(
            "kind", kind, "is not one of {ORG_KINDS}", ORG_KINDS=", ".join(ORG_KINDS)
        )
    org = uow.session.exec(select(Organisation).where(Organisation.name == name)).first()
    if org is None:
        org = Organisation(name=name, kind=kind, pg_ratio=pg_ratio)
        uow.session.add(org)
        uow.flush()
    elif org.kind != kind:
        raise Conflict(
            "org: {name!r} is a {org_role} organisation, not a {wanted_role} one",
            field="org",
            name=name,
            org_role=org.kind,
            wanted_role=kind,
        )
    return org


def add_user(
    uow: UnitOfWork,
    *,
    username: str,
    role: str,
    org: str,
    password: str,
    email: str | None = None,
    commit: bool = True,
) -> User:
    """Create a user in organisation `org` (created if new, of the role's kind)."""
    if not USERNAME.match(username or ""):
        raise InvalidInput.about(
            "username", username, "must be 2–80 letters, digits, or . _ @ - (no spaces)"
        )
    if role not in ROLES:
        raise InvalidInput.about("role", role, "is not one of {ROLES}", ROLES=", ".join(ROLES))
    check_password_strength(password)
    if uow.session.exec(select(User).where(User.username == username)).first():
        raise Conflict("username: {value!r} is taken", field="username", value=username)
    organisation = ensure_organisation(uow, org, role)
    assert organisation.id is not None
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        organisation_id=organisation.id,
        email=check_email(email),
    )
    uow.session.add(user)
    if commit:
        uow.commit()
    else:
        uow.flush()
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
        raise NotFound("token: {value} does not exist", field="token", value=token_id)
    return stamp_once(uow, token, "revoked_at")


def actor_by_username(uow: UnitOfWork, username: str) -> Actor:
    user = uow.session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound("username: {username!r} does not exist", field="username", username=username)
    return actor_for(uow.session, user)


# ----------------------------------------------------------------------------- accounts

HISTORY = 50


def _end_everything(uow: UnitOfWork, user: User, *, keep_token: str | None = None) -> None:
    """Every browser session (the epoch moves on) and every API token of the user stop."""
    user.session_epoch += 1
    uow.session.add(user)
    now = utcnow()
    for token in uow.session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))
    ).all():
        if token.token_hash != keep_token:
            token.revoked_at = now
            uow.session.add(token)


def change_password(
    uow: UnitOfWork,
    actor: Actor,
    current: Any,
    new: Any,
    keep_token: str | None = None,
) -> User:
    """The user's own password; their other sessions and tokens end (the caller's session is
    re-issued by the page, the caller's token kept)."""
    given = schemas.each(PasswordChange, {"current_password": current, "new_password": new})
    current, new = given["current_password"], given["new_password"]
    user = uow.session.get(User, actor.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("authentication required: log in or send a bearer token")
    if not verify_password(user.password_hash, current):
        raise InvalidInput("current_password: is wrong", field="current_password")
    check_password_strength(new, "new_password")
    if new == current:
        raise InvalidInput("new_password: is the current password", field="new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    _end_everything(uow, user, keep_token=keep_token)
    uow.commit()
    return user


def _last_logins(uow_session: Any, user_ids: list[int]) -> dict[int, Any]:
    if not user_ids:
        return {}
    rows = uow_session.exec(
        select(LoginAttempt.user_id, func.max(LoginAttempt.attempted_at))
        .where(col(LoginAttempt.user_id).in_(user_ids), col(LoginAttempt.succeeded))
        .group_by(col(LoginAttempt.user_id))
    ).all()
    return dict(rows)


def user_public(user: User, org: Organisation, last_login: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "organisation_id": user.organisation_id,
        "organisation": org.name,
        "email": user.email,
        "active": user.is_active,
        "must_change_password": user.must_change_password,
        "last_login_at": _iso(last_login),
        "created_at": _iso(user.created_at),
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.isoformat())


def list_users(session: Any, actor: Actor) -> list[dict[str, Any]]:
    """Every user, by organisation and role: the operator's list."""
    actor.require("operator")
    rows = session.exec(
        select(User, Organisation)
        .join(Organisation, col(Organisation.id) == User.organisation_id)
        .order_by(col(Organisation.name), col(User.role), col(User.username))
    ).all()
    last = _last_logins(session, [u.id for u, _ in rows])
    return [user_public(u, o, last.get(u.id)) for u, o in rows]


def create_user(uow: UnitOfWork, actor: Actor, data: Mapping[str, Any]) -> tuple[User, str]:
    """An operator creates a user; without a password, a one-time password is made (shown once,
    to be changed at the first login)."""
    actor.require("operator")
    # an account body refuses its first bad field alone, as it always has
    fields.reject_unknown(data, schemas.names(UserCreate))
    given = schemas.each(UserCreate, data)
    password = given["password"]
    one_time = password is None
    if one_time:
        password = _one_time_password()
    user = add_user(
        uow,
        username=given["username"],
        role=given["role"],
        org=given["organisation"],
        password=password,
        email=given["email"],
        commit=False,
    )
    user.must_change_password = one_time
    uow.session.add(user)
    uow.commit()
    return user, password if one_time else ""


def _one_time_password() -> str:
    import secrets

    return secrets.token_urlsafe(12)


def _user(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    actor.require("operator")
    user = uow.session.get(User, user_id) if 0 < user_id <= 2**31 - 1 else None
    if user is None:
        raise NotFound("user: {value} does not exist", field="user", value=user_id)
    return user


def set_active(uow: UnitOfWork, actor: Actor, user_id: int, active: bool) -> User:
    user = _user(uow, actor, user_id)
    if not active and user.id == actor.user_id:
        raise Conflict("user: an operator cannot deactivate their own account", field="user")
    if user.is_active != active:
        user.is_active = active
        if not active:
            _end_everything(uow, user)
        uow.session.add(user)
    uow.commit()
    return user


def reset_password(uow: UnitOfWork, actor: Actor, user_id: int) -> tuple[User, str]:
    """A one-time password, shown once; the user must choose a new one at the next login, and
    every session and token of theirs ends now."""
    user = _user(uow, actor, user_id)
    password = _one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    _end_everything(uow, user)
    uow.commit()
    return user, password


def login_history(session: Any, actor: Actor, user_id: int) -> list[dict[str, Any]]:
    """The last logins of a user (time, address, success): the user's own, or any for an
    operator."""
    if user_id != actor.user_id:
        actor.require("operator")
    rows = session.exec(
        select(LoginAttempt)
        .where(LoginAttempt.user_id == user_id)
        .order_by(col(LoginAttempt.attempted_at).desc(), col(LoginAttempt.id).desc())
        .limit(HISTORY)
    ).all()
    return [
        {"at": _iso(r.attempted_at), "address": r.address, "success": r.succeeded} for r in rows
    ]
