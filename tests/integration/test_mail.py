"""Mail through a real SMTP server (aiosmtpd) started by the test: a bid's mail arrives in
Chinese; with the server down it stays in the outbox and arrives once the server is back; two
senders racing on one outbox send each mail once; the app's background sender delivers too."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from dataclasses import replace
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import col, select

from market import mail
from market.db import Database
from market.notifications import notify
from market.services import trade
from market.services.matching import run_match
from market.tables import MailOutbox, Proposal
from tests.support import builders as b


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        msg = email.message_from_bytes(envelope.original_content or b"", policy=policy.default)
        with self.lock:
            self.messages.append(msg)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_settings(settings, smtp):
    return replace(
        settings,
        smtp_url=smtp.url,
        mail_retry_s=0.0,
        mail_poll_s=0.1,
        public_url="https://wastematch.example",
    )


@pytest.fixture
def bid_on_a_lot(db, settings):
    """A producer with a mail address, whose lot gets a recycler's bid."""
    producer = b.actor(db, "producer")
    recycler = b.actor(db, "recycler")
    b.with_email(db, producer, "yard-manager@example.test")
    yard = b.site(db, producer, b.ANNING)
    lot = b.lot(db, producer, yard.id, tonnes=3000)
    plant = b.site(db, recycler, b.KUNMING)
    b.offer(db, recycler, plant.id, capacity_t=8000)
    run = run_match(db, b.actor(db, "operator"), settings)
    with db.read_session() as s:
        proposal = s.exec(select(Proposal).where(Proposal.run_id == run.id)).one()
    with db.unit_of_work() as uow:
        trade.place_bid(uow, recycler, proposal.id, {"price_cny_t": 15, "tonnes": 3000})
    return lot


def outbox(db):
    with db.read_session() as s:
        return s.exec(select(MailOutbox).order_by(col(MailOutbox.id))).all()


def test_the_mail_for_a_bid_arrives_in_chinese(db, mail_settings, smtp, bid_on_a_lot):
    out = mail.send_pending(db, mail_settings)
    assert (out.sent, out.failed) == (1, 0)
    [msg] = smtp.inbox.messages
    assert msg["To"] == "yard-manager@example.test"
    assert msg["Subject"] == f"【固废撮合】批次 #{bid_on_a_lot.id} 收到新投标：3,000 吨，15 元/吨"
    body = msg.get_content()
    assert "查看：https://wastematch.example/bids" in body
    assert "https://wastematch.example/account/notifications" in body
    [row] = outbox(db)
    assert row.sent_at is not None and row.attempts == 1
    assert mail.send_pending(db, mail_settings).claimed == 0  # sent once, not again


def test_with_the_server_down_the_mail_is_kept_and_arrives_when_it_is_back(
    db, mail_settings, smtp, bid_on_a_lot
):
    smtp.stop()
    out = mail.send_pending(db, mail_settings)
    assert (out.sent, out.failed) == (0, 1) and out.error
    [row] = outbox(db)
    assert row.sent_at is None and row.attempts == 1 and row.claimed_until is None
    assert "Connection" in row.last_error or "Errno" in row.last_error
    assert mail.send_pending(db, mail_settings).failed == 1  # still down: kept again
    smtp.start()
    assert mail.send_pending(db, mail_settings).sent == 1
    [msg] = smtp.inbox.messages
    assert msg["Subject"].startswith("【固废撮合】批次 #")
    [row] = outbox(db)
    assert row.sent_at is not None and row.attempts == 3


def test_a_failed_mail_waits_longer_after_each_try():
    assert [mail.backoff(n, 30).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert mail.backoff(30, 30).total_seconds() == mail.MAX_BACKOFF_S


def test_a_mail_not_yet_due_for_its_retry_is_left_alone(db, settings, smtp, bid_on_a_lot):
    waiting = replace(settings, smtp_url=smtp.url, mail_retry_s=3600.0)
    smtp.stop()
    assert mail.send_pending(db, waiting).failed == 1
    smtp.start()
    assert mail.send_pending(db, waiting).claimed == 0
    assert smtp.inbox.messages == []


def test_without_a_mail_server_configured_nothing_is_sent_and_nothing_is_lost(
    db, settings, bid_on_a_lot
):
    assert mail.send_pending(db, settings).claimed == 0
    assert [r.sent_at for r in outbox(db)] == [None]


def test_the_apps_background_sender_delivers_without_the_request_waiting(
    db, mail_settings, smtp, bid_on_a_lot
):
    from web.app import create_app

    app = create_app(mail_settings, db)

    async def serve_a_while() -> None:
        # the app's lifespan, as uvicorn runs it: the mail task starts with it
        async with app.router.lifespan_context(app):
            deadline = time.monotonic() + 10
            while not smtp.inbox.messages and time.monotonic() < deadline:
                await asyncio.sleep(0.05)

    asyncio.run(serve_a_while())
    assert len(smtp.inbox.messages) == 1
    assert outbox(db)[0].sent_at is not None


@pytest.mark.postgres
def test_two_senders_racing_on_postgresql_send_each_mail_once(mail_settings, smtp):
    from tests.support.pg import MIGRATED, drop_pg_database, skip_without_postgres

    skip_without_postgres()
    url, name = MIGRATED.copy()
    db = Database(url)
    try:
        producer = b.actor(db, "producer")
        b.with_email(db, producer, "many@example.test")
        with db.unit_of_work() as uow:
            for i in range(40):
                notify(
                    uow,
                    "report_approved",
                    url="/reports",
                    orgs=[producer.organisation_id],
                    site="渣场",
                    period=f"2026-{i % 12 + 1:02d}",
                )
            uow.commit()
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def sender() -> None:
            try:
                barrier.wait()
                while mail.send_pending(db, mail_settings, limit=3).claimed:
                    pass
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        ids = [m["X-Wastematch-Outbox"] for m in smtp.inbox.messages]
        assert len(ids) == 40 and len(set(ids)) == 40
        assert all(r.sent_at is not None and r.attempts == 1 for r in outbox(db))
    finally:
        db.dispose()
        drop_pg_database(name)


def test_the_command_sends_what_is_due_and_says_when_the_server_is_down(
    db, smtp, bid_on_a_lot, monkeypatch, capsys
):
    from web.cli import main

    monkeypatch.setenv("WASTEMATCH_DATABASE_URL", db.url)
    monkeypatch.setenv("WASTEMATCH_MAIL_RETRY_S", "0")
    monkeypatch.delenv("WASTEMATCH_SMTP_URL", raising=False)
    assert main(["mail", "send-pending"]) == 2
    assert "WASTEMATCH_SMTP_URL" in capsys.readouterr().err

    monkeypatch.setenv("WASTEMATCH_SMTP_URL", smtp.url)
    smtp.stop()
    assert main(["mail", "send-pending"]) == 1
    out = capsys.readouterr()
    assert "sent 0, kept for later 1, unsent in the outbox 1" in out.out
    assert "mail server" in out.err
    smtp.start()
    assert main(["mail", "send-pending"]) == 0
    assert "sent 1, kept for later 0, unsent in the outbox 0" in capsys.readouterr().out
    assert len(smtp.inbox.messages) == 1
