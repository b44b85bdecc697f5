"""Organisations, their people, their API tokens and login attempts, and evaluator links."""

from datetime import datetime

from sqlalchemy import Index
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from market.tables.common import utcnow

ORG_KINDS = ("producer", "recycler", "regulator", "operator", "evaluator")
ROLES = ORG_KINDS


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=20)
    pg_ratio: float | None = None
    """Tonnes of phosphogypsum per tonne of P2O5 for this producer; the policy default if unset."""
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    is_active: bool = True
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow)
    email: str | None = Field(default=None, max_length=254)
    must_change_password: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa_false()}
    )
    """Set by an operator's password reset: the one-time password works only to choose a new one."""
    lang: str = Field(default="zh", max_length=5, sa_column_kwargs={"server_default": "zh"})
    """The language of the user's mail (`zh` or `en`); pages follow the browser's choice."""


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(default="", max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None
    """Past it the token is refused; set at issue (30 days by default, a setting)."""


class LoginAttempt(SQLModel, table=True):
    """Every login attempt: the throttle counts them (in the database, so every worker sees the
    same count) and each user's login history reads them.

    An attempt is written as failed before its password is checked and turned into a success
    after: parallel guesses each take a place in the count, so no more than the limit are ever
    checked.
    """

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "attempted_at"),
        Index("ix_login_attempt_address_at", "address", "attempted_at"),
        Index("ix_login_attempt_user_at", "user_id", "attempted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    address: str = Field(default="", max_length=64)
    attempted_at: datetime = Field(default_factory=utcnow)
    succeeded: bool = False


class EvaluatorLink(SQLModel, table=True):
    """An evaluator organisation (第三方评价机构) and a producer it evaluates."""

    __tablename__ = "evaluator_link"
    evaluator_org_id: int = Field(foreign_key="organisation.id", primary_key=True)
    producer_org_id: int = Field(foreign_key="organisation.id", primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
