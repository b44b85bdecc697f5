"""Logging in over HTTP: the throttle, password hashing in a pool of its own, and the result.

A login is three steps. The throttle is checked and the attempt recorded (as failed) in one short
database transaction; the password is hashed outside it, in a small pool of threads apart from the
database threads (a flood of logins then waits for that pool and nobody's lot list waits for it);
a right password turns the attempt into a success in a second short transaction.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import anyio.to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from market.auth import Actor, Attempt, begin_login, finish_login, password_matches
from market.db import Database
from market.errors import NotAuthenticated, TooManyAttempts
from market.settings import Settings


class HashPool:
    """At most `threads` passwords hashed at once per worker, and at most `queue` waiting."""

    def __init__(self, threads: int, queue: int) -> None:
        self.threads = threads
        self.queue = queue
        self.waiting = 0
        self._limiter: anyio.CapacityLimiter | None = None

    def check_room(self) -> None:
        if self.waiting >= self.queue:
            raise TooManyAttempts(
                "login: {waiting} logins are waiting on this server; try again in a few seconds",
                field="username",
                waiting=self.waiting,
            )

    async def matches(self, attempt: Attempt, password: str) -> bool:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        self.waiting += 1
        try:
            return await anyio.to_thread.run_sync(
                password_matches, attempt, password, limiter=self._limiter
            )
        finally:
            self.waiting -= 1


def client_address(request: Request) -> str:
    # uvicorn has already taken X-Forwarded-For into account for the trusted proxies only
    return request.client.host if request.client else ""


async def log_in(request: Request, username: str, password: str) -> Actor:
    """The actor for a right username and password; refusals as `DomainError`s."""
    db: Database = request.app.state.db
    settings: Settings = request.app.state.settings
    pool: HashPool = request.app.state.hash_pool
    pool.check_room()
    address = client_address(request)

    def begin() -> Attempt:
        with db.unit_of_work() as uow:
            attempt = begin_login(uow.session, username, address, settings.throttle())
            uow.commit()
            return attempt

    attempt = await run_in_threadpool(begin)
    if attempt.delay_s:
        await asyncio.sleep(attempt.delay_s)
    if not await pool.matches(attempt, password):
        raise NotAuthenticated("username or password is wrong")

    def finish() -> Actor:
        with db.unit_of_work() as uow:
            actor = finish_login(uow.session, attempt)
            uow.commit()
            return actor

    return await run_in_threadpool(finish)


def hash_pool(settings: Settings) -> Any:
    return HashPool(settings.hash_threads, settings.hash_queue)


class WorkPool:
    """Heavy computations (the planner, the siting analysis) in threads of their own, at most
    `threads` at once per worker and `queue` waiting: eight siting requests held every database
    thread and a producer's lot list waited 62 s behind them."""

    def __init__(self, name: str, threads: int, queue: int) -> None:
        self.name = name
        self.threads = threads
        self.queue = queue
        self.waiting = 0
        self._limiter: anyio.CapacityLimiter | None = None

    async def run(self, fn: Any, *args: Any) -> Any:
        if self.waiting >= self.queue:
            raise TooManyAttempts(
                "{field}: {waiting} requests are waiting on this server; try again in a minute",
                field=self.name,
                waiting=self.waiting,
            )
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        self.waiting += 1
        try:
            return await anyio.to_thread.run_sync(lambda: fn(*args), limiter=self._limiter)
        finally:
            self.waiting -= 1
