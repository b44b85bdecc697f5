"""The Starlette application: `create_app(settings)`; nothing is read from the environment here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import anyio.to_thread
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.applications import Starlette
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from market import mail
from market.db import Database
from market.errors import DomainError
from market.settings import Settings
from market.worker import start_processes, start_threads, stop_processes
from web import (
    account_pages,
    api,
    audit_api,
    daily_api,
    daily_pages,
    declared_query,
    export_job,
    jobs_api,
    jobs_pages,
    market_pages,
    openapi,
    pages,
    papers_api,
    papers_pages,
    planning_api,
    planning_pages,
    regulator,
    trust_api,
    trust_pages,
)
from web.api import MAX_BODY
from web.audit_api import MAX_CHECKPOINT_BODY
from web.errors import database_unavailable, domain_error, http_error
from web.login import WorkPool, hash_pool
from web.planning_api import MAX_SITING_BODY
from web.planning_pages import MAX_UPLOAD
from web.regulator import MAX_CHECKPOINT_UPLOAD
from web.render import make_templates
from web.security import BodyLimit, CallerCache, SecurityHeaders, stamp_for
from web.trust_api import MAX_DOCUMENT_BODY

BODY_LIMITS = {
    # the routes that take an upload; every other route takes at most MAX_BODY
    "/api/v1/planning/siting": MAX_SITING_BODY,
    "/api/v1/audit/verify/checkpoint": MAX_CHECKPOINT_BODY,
    "/audit/siting": MAX_UPLOAD,
    "/audit/verify": MAX_CHECKPOINT_UPLOAD,
    # evidence: a document of up to 10 MB, through the API or a page's form
    "/api/v1/documents": MAX_DOCUMENT_BODY,
    "/ledger/[0-9]+": MAX_DOCUMENT_BODY,
    "/yards/[0-9]+/corrections": MAX_DOCUMENT_BODY,
    # papers: the weighbridge ticket on the receipt page, the lab report on the lot page
    "/deliveries/[0-9]+/receipt": MAX_DOCUMENT_BODY,
    "/lots/[0-9]+/lab-report": MAX_DOCUMENT_BODY,
}

STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "wastematch_session"


class _BoundedInt(IntegerConvertor):
    # Starlette's `int` matches any run of digits and int() raises past 4,300 of them (a 500);
    # an id has at most 19 digits, and a longer one matches no route: 404
    regex = "[0-9]{1,19}"


register_url_convertor("int", _BoundedInt())


def create_app(settings: Settings, db: Database | None = None) -> Starlette:
    database = db or Database(settings.database_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Database work runs in worker threads; a few per process is enough to overlap I/O,
        # while the default 40 only take turns at the GIL and hold row locks the longer.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.db_threads
        # every worker checks the match schedule; its row lock lets only one of them run it
        scheduler = asyncio.create_task(market_pages.schedule_loop(database, settings))
        # the mail outbox: sent in the background, never by a request
        mailer = asyncio.create_task(mail.mail_loop(database, settings))
        # job workers: processes beside this one, threads inside it (market/worker.py)
        children = start_processes(settings, settings.job_processes)
        stop_jobs, _threads = start_threads(database, settings, settings.job_threads)
        yield
        stop_jobs.set()
        await asyncio.to_thread(stop_processes, children)
        for task in (scheduler, mailer):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if db is None:
            database.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", pages.healthz, methods=["GET"]),
            Mount(
                "/api/v1",
                # a query parameter the OpenAPI document does not declare is refused
                routes=declared_query.checked(
                    [
                        *api.routes(),
                        *audit_api.routes(),
                        *trust_api.routes(),
                        *planning_api.routes(),
                        *papers_api.routes(),
                        *daily_api.routes(),
                        *jobs_api.routes(),
                        *export_job.api_routes(),
                        *openapi.routes(),
                    ],
                    openapi.document(),
                ),
                name="api",  # its routes are named "api:<name>" (`path_for` in templates)
            ),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
            *pages.routes(),
            *account_pages.routes(),
            *market_pages.routes(),
            *regulator.routes(),
            *trust_pages.routes(),
            *planning_pages.routes(),
            *papers_pages.routes(),
            *daily_pages.routes(),
            *jobs_pages.routes(),
            *export_job.page_routes(),
        ],
        middleware=[
            Middleware(SecurityHeaders, hsts=settings.secure_cookies),
            Middleware(BodyLimit, default=MAX_BODY, limits=BODY_LIMITS),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=12 * 3600,
                same_site="lax",
                https_only=settings.secure_cookies,
            ),
        ],
        exception_handlers={
            DomainError: domain_error,
            HTTPException: http_error,
            OperationalError: database_unavailable,
            InterfaceError: database_unavailable,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.callers = CallerCache(
        ttl=settings.caller_cache_s, stamp=stamp_for(settings.database_url)
    )
    app.state.hash_pool = hash_pool(settings)
    app.state.planning_pool = WorkPool("planning", threads=1, queue=4)
    app.state.templates = make_templates()
    logging.getLogger("wastematch").setLevel(logging.INFO)
    return app
