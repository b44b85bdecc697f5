"""Notifications in the app, the mail outbox and each person's mail preferences."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from market.tables.common import utcnow

NOTIFICATION_KINDS = (
    "bid_placed",
    "bid_accepted",
    "bid_rejected",
    "delivery_dispatched",
    "delivery_received",
    "delivery_disputed",
    "settlement_proposed",
    "delivery_settled",
    "report_submitted",
    "report_returned",
    "report_approved",
    "correction_requested",
    "correction_decided",
    "proposals_ready",
)


class Notification(SQLModel, table=True):
    """Something that happened and now waits on the user: one row per user of the organisation
    concerned, written in the same transaction as the event. The title is made from `kind` and
    `params` in the reader's language."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    kind: str = Field(max_length=40)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    url: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class MailOutbox(SQLModel, table=True):
    """A mail to send, written with its notification; a sender claims it (a lease until
    `claimed_until`), sends it, and marks it sent. A failed attempt is retried after a backoff;
    a mail is never deleted unsent."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    notification_id: int | None = Field(default=None, foreign_key="notification.id")
    to_addr: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str
    link: str = Field(default="", max_length=300)
    """The page the mail points to; the sender puts the site's address in front of it."""
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    claimed_until: datetime | None = None
    claim: str = Field(default="", max_length=40)
    """The claiming sender's token: only the sender that holds the lease marks it sent."""
    sent_at: datetime | None = None


class MailPreference(SQLModel, table=True):
    """Which kinds of notification a user also gets by mail; no row: every kind."""

    __tablename__ = "mail_preference"
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    kinds: list[str] = Field(default_factory=list, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)
