"""Sending the mail outbox through SMTP.

A sender claims a batch of due mails in one short transaction (FOR UPDATE SKIP LOCKED on
PostgreSQL; SQLite's IMMEDIATE transaction holds its only write lock), giving each a lease
(`claimed_until`, longer than sending the batch can take) and its own token, then sends them with
no transaction open, and marks each sent only under its own token. Two senders therefore never
claim the same mail. A mail that could not be sent goes back with a later `next_attempt_at`
(30 s, 60 s, 120 s ..., at most an hour apart) and is never dropped. A sender that dies between
sending and marking leaves its lease to run out, and the mail is sent again: at least once,
never lost.

`wastematch serve` runs `mail_loop` in the app's lifespan; `wastematch mail send-pending`
sends once from the command line (for cron, or to drain the outbox by hand).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from sqlalchemy import or_, update
from sqlmodel import col, func, select

from market.db import Database
from market.settings import Settings
from market.tables import MailOutbox, utcnow

log = logging.getLogger("wastematch.mail")

SEND_TIMEOUT_S = 15.0
LEASE = timedelta(minutes=2)
"""A claim lasts this long plus the longest its mails could take to send (each may wait for the
server up to SEND_TIMEOUT_S): a slow server never lets a second sender take a mail still being
sent."""
MAX_BACKOFF_S = 3600.0
BATCH = 50


@dataclass(frozen=True)
class Outcome:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    error: str = ""


def backoff(attempts: int, base_s: float) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: base, 2×base, 4×base ... ≤ 1 h."""
    return timedelta(seconds=min(base_s * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S))


def smtp_target(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "localhost", parts.port or 25


def pending_count(db: Database) -> int:
    with db.read_session() as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(MailOutbox)
                .where(col(MailOutbox.sent_at).is_(None))
            ).one()
        )


def claim(db: Database, *, limit: int = BATCH) -> tuple[str, list[MailOutbox]]:
    """Due, unclaimed (or lease run out) mails, leased to a new token."""
    token = secrets.token_hex(8)
    now = utcnow()
    with db.unit_of_work() as uow:
        q = (
            select(MailOutbox)
            .where(
                col(MailOutbox.sent_at).is_(None),
                col(MailOutbox.next_attempt_at) <= now,
                or_(col(MailOutbox.claimed_until).is_(None), col(MailOutbox.claimed_until) < now),
            )
            .order_by(col(MailOutbox.id))
            .limit(limit)
        )
        if uow.is_postgres:
            q = q.with_for_update(skip_locked=True)
        rows = list(uow.session.exec(q).all())
        lease = LEASE + timedelta(seconds=SEND_TIMEOUT_S * 2 * len(rows))
        for row in rows:
            row.claimed_until = now + lease
            row.claim = token
            uow.session.add(row)
        uow.commit()
    return token, rows


def _message(row: MailOutbox, settings: Settings) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}", domain="wastematch")
    msg["X-Wastematch-Outbox"] = str(row.id)
    msg.set_content(row.body.replace("{site}", settings.public_url))
    return msg


def _mark_sent(db: Database, row: MailOutbox, token: str) -> None:
    with db.unit_of_work() as uow:
        uow.session.execute(
            update(MailOutbox)
            .where(col(MailOutbox.id) == row.id, col(MailOutbox.claim) == token)
            .values(sent_at=utcnow(), claimed_until=None, attempts=row.attempts + 1)
        )
        uow.commit()


def _put_back(db: Database, rows: list[MailOutbox], token: str, error: str, base_s: float) -> None:
    now = utcnow()
    with db.unit_of_work() as uow:
        for row in rows:
            tries = row.attempts + 1
            uow.session.execute(
                update(MailOutbox)
                .where(col(MailOutbox.id) == row.id, col(MailOutbox.claim) == token)
                .values(
                    attempts=tries,
                    next_attempt_at=now + backoff(tries, base_s),
                    claimed_until=None,
                    last_error=error[:500],
                )
            )
        uow.commit()


def send_pending(db: Database, settings: Settings, *, limit: int = BATCH) -> Outcome:
    """Claim the due mails and send them over one SMTP connection; nothing without a server."""
    if not settings.smtp_url:
        return Outcome()
    token, rows = claim(db, limit=limit)
    if not rows:
        return Outcome()
    host, port = smtp_target(settings.smtp_url)
    sent, done = 0, set()
    try:
        with smtplib.SMTP(host, port, timeout=SEND_TIMEOUT_S) as smtp:
            for row in rows:
                try:
                    smtp.send_message(_message(row, settings))
                except smtplib.SMTPRecipientsRefused as exc:
                    # this address is refused, the others may not be
                    _put_back(db, [row], token, f"refused: {exc.recipients}", settings.mail_retry_s)
                else:
                    _mark_sent(db, row, token)
                    sent += 1
                done.add(row.id)
    except (OSError, smtplib.SMTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
        left = [r for r in rows if r.id not in done]
        _put_back(db, left, token, error, settings.mail_retry_s)
        log.warning("mail: %d sent, %d kept for later: %s", sent, len(rows) - sent, error)
        return Outcome(len(rows), sent, len(rows) - sent, error)
    return Outcome(len(rows), sent, len(rows) - sent)


def send_all(db: Database, settings: Settings) -> Outcome:
    """Send batches until nothing due is left or a batch fails."""
    total = Outcome()
    while True:
        out = send_pending(db, settings)
        total = Outcome(
            total.claimed + out.claimed,
            total.sent + out.sent,
            total.failed + out.failed,
            out.error or total.error,
        )
        if out.claimed == 0 or out.failed:
            return total


async def mail_loop(db: Database, settings: Settings) -> None:
    """Every `mail_poll_s`, send what is due (in a worker thread: SMTP blocks)."""
    if not settings.smtp_url:
        return
    while True:
        try:
            await asyncio.to_thread(send_all, db, settings)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the loop outlives a database hiccup
            log.exception("mail: sending failed; trying again later")
        await asyncio.sleep(settings.mail_poll_s)
