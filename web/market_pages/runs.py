"""Match runs: the list, starting one, the schedule, one run's page, and the schedule loop."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from market import views
from market.auth import Actor
from market.db import Database
from market.services import (
    jobs,
    matching,
    schedule,
)
from market.settings import Settings
from web import paging
from web.api import db_of, path_id, run_read, settings_of
from web.market_pages.forms import BLANK, Form, done, listing, on_form, page, posted, serves
from web.routing import Routes
from web.security import require_actor

routes = Routes()

log = logging.getLogger("wastematch.pages")


@serves(routes, "/match-runs")
async def _runs_page(request: Request, actor: Actor, form: Form = BLANK) -> Response:
    pg = paging.parse(request.query_params, default_limit=50, max_limit=200)

    def read(session: Session) -> dict[str, Any]:
        runs = views.list_match_runs(session, actor, **pg.window())
        total = views.count_match_runs(session, actor)
        return {
            "runs": runs,
            "pager": paging.Pager("/match-runs", total, pg, len(runs)),
            "schedule": schedule.get_schedule(session),
        }

    ctx = await run_read(request, read)
    return page(request, "market/match_runs.html", ctx, form=form, block="schedule_form")


@routes.post("/match-runs")
async def match_run_start(request: Request) -> Response:
    actor = await require_actor(request)
    await posted(request)
    db, settings = db_of(request), settings_of(request)
    if await run_in_threadpool(jobs.is_large, db, settings):
        # a worker solves it; the job's page shows its progress, then opens the run
        job = await run_in_threadpool(jobs.start_match_run, db, actor, settings, None)
        return done(request, f"/jobs/{job.id}")
    # the solve runs outside any transaction (run_match reads, solves, then writes)
    run = await run_in_threadpool(matching.run_match, db, actor, settings, None)
    return done(request, f"/match-runs/{run.id}", run)


@routes.post("/match-runs/schedule")
async def match_schedule(request: Request) -> Response:
    return await on_form(
        request,
        ("every_hours",),
        lambda uow, actor, data: schedule.set_schedule(uow, actor, data["every_hours"]),
        then="/match-runs",
        refused=_runs_page,
    )


RUN_PAGE = 100


@routes.get("/match-runs/{id:int}")
async def match_run_detail(request: Request) -> Response:
    """A run's headline, then its proposals and its unmatched lots, each paged on its own
    (`page`, `unmatched_page`)."""
    actor = await require_actor(request)
    run_id = path_id(request)
    pages = ("page", "unmatched_page")
    shown = {
        name: listing(request, default_limit=RUN_PAGE, max_limit=500, page_param=name, extra=pages)
        for name in pages
    }
    run = await run_read(
        request,
        views.match_run_public,
        actor,
        run_id,
        proposals=(shown["page"].paging.limit, shown["page"].paging.offset),
        unmatched=(shown["unmatched_page"].paging.limit, shown["unmatched_page"].paging.offset),
    )
    for u in run["unmatched"]:
        key = str(u.get("lot", ""))
        u["lot_id"] = int(key[1:]) if key[1:].isdigit() else None
    here = f"/match-runs/{run_id}"
    pagers = {
        "proposals": shown["page"].pager(
            here, run["proposals_total"], len(run["proposals"]), anchor="run-proposals"
        ),
        "unmatched": shown["unmatched_page"].pager(
            here,
            run["unmatched_total"],
            len(run["unmatched"]),
            name="unmatched_page",
            anchor="run-unmatched",
        ),
    }
    return page(request, "market/match_run.html", {"run": run, "pagers": pagers})


async def schedule_loop(db: Database, settings: Settings, every_s: float = 60.0) -> None:
    """Checks the match schedule once a minute for the life of the app (one per worker; the
    schedule's row lock lets only one of them start a run)."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await run_in_threadpool(schedule.run_if_due, db, settings)
        except Exception:  # noqa: BLE001 - a failed check must not end the loop
            log.exception("scheduled match run failed")
