"""Jobs over HTTP (the ASGI app, a worker run in the test's process), on SQLite and PostgreSQL:
work over a market larger than `inline_max_pairs` answers 202 with its job, a small one answers
at once as before; the job, its result and cancelling it, and who may see or cancel it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import httpx
import pytest

from market.services.users import create_token
from market.worker import Worker
from tests.support import builders as b
from web.app import create_app


def token(db, actor) -> str:
    with db.unit_of_work() as uow:
        return create_token(uow, actor)[1]


class Api:
    def __init__(self, app: Any, tokens: dict[str, str]) -> None:
        self.app, self.tokens = app, tokens

    def __call__(self, method: str, path: str, who: str, **kw: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                headers = {"Authorization": f"Bearer {self.tokens[who]}"}
                return await client.request(method, path, headers=headers, **kw)

        return asyncio.run(call())


def market_with(db):
    producer = b.actor(db, "producer")
    recycler = b.actor(db, "recycler")
    b.lot(db, producer, b.site(db, producer, b.ANNING).id)
    b.offer(db, recycler, b.site(db, recycler, b.KUNMING).id)
    operator = b.actor(db, "operator")
    return {
        "operator": operator,
        "colleague": b.actor(db, "operator", org=operator.organisation),
        "regulator": b.actor(db, "regulator"),
        "producer": producer,
    }


@pytest.fixture
def queued_api(db, settings):
    """Every match run, plan and siting is a job here (a market of 1 x 1 is over 0 pairs)."""
    people = market_with(db)
    settings = replace(settings, inline_max_pairs=0)
    app = create_app(settings, db)
    api = Api(app, {who: token(db, actor) for who, actor in people.items()})
    return api, Worker(db, settings)


def test_a_large_match_run_answers_202_with_its_job_and_the_job_leads_to_the_run(queued_api):
    api, worker = queued_api
    r = api("POST", "/api/v1/match-runs", "operator", json={"params": {"cost_per_t_km": 0.7}})
    assert r.status_code == 202
    job = r.json()["job"]
    assert r.headers["location"] == job["url"]
    queued = api("GET", job["url"], "operator").json()
    assert (queued["kind"], queued["status"], queued["progress"], queued["result_url"]) == (
        "match_run",
        "queued",
        0,
        None,
    )
    assert worker.run_once()
    done = api("GET", job["url"], "operator").json()
    assert (done["status"], done["progress"], done["stage"], done["error"]) == (
        "done",
        1.0,
        "done",
        None,
    )
    run = api("GET", done["result_url"], "operator").json()
    assert run["proposals"] and run["status"] == "optimal"
    listed = api("GET", "/api/v1/jobs", "colleague").json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]


def test_a_bad_request_is_refused_at_once_and_queues_nothing(queued_api):
    api, worker = queued_api
    r = api("POST", "/api/v1/match-runs", "operator", json={"params": {"circuity": 99}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "params.circuity"
    r = api("POST", "/api/v1/planning/drawdown", "regulator", json={"horizon_months": 0})
    assert r.status_code == 422
    assert api("GET", "/api/v1/jobs", "operator").json()["jobs"] == []
    assert worker.run_once() is False


def test_the_planner_siting_and_tamper_check_as_jobs_keep_their_results(queued_api):
    api, worker = queued_api
    started = {
        "drawdown": api("POST", "/api/v1/planning/drawdown", "regulator", json={}),
        "siting": api(
            "POST",
            "/api/v1/planning/siting",
            "regulator",
            json={"material": "phosphogypsum", "capacity_t_per_year": 100000},
        ),
        "verify": api("POST", "/api/v1/audit/verify", "regulator"),
    }
    assert {kind: r.status_code for kind, r in started.items()} == dict.fromkeys(started, 202)
    while worker.run_once():
        pass
    for kind, r in started.items():
        job = api("GET", r.json()["job"]["url"], "regulator").json()
        assert (job["kind"], job["status"]) == (kind, "done"), job
        assert job["result_url"] == f"/api/v1/jobs/{job['id']}/result"
        result = api("GET", job["result_url"], "regulator")
        assert result.status_code == 200
    assert (
        "months"
        in api("GET", started["drawdown"].json()["job"]["url"] + "/result", "regulator").json()
    )
    assert (
        "candidates"
        in api("GET", started["siting"].json()["job"]["url"] + "/result", "regulator").json()
    )
    assert api("GET", started["verify"].json()["job"]["url"] + "/result", "regulator").json()["ok"]


def test_only_who_started_a_job_cancels_it_and_others_do_not_see_it(queued_api):
    api, worker = queued_api
    job = api("POST", "/api/v1/match-runs", "operator", json={}).json()["job"]
    assert api("GET", job["url"], "producer").status_code == 404
    assert api("GET", job["url"], "regulator").status_code == 404
    assert api("POST", job["url"] + "/cancel", "regulator").status_code == 404
    refused = api("POST", job["url"] + "/cancel", "colleague")
    assert refused.status_code == 403
    assert "someone else" in refused.json()["error"]["message"]
    cancelled = api("POST", job["url"] + "/cancel", "operator")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = api("POST", job["url"] + "/cancel", "operator")
    assert again.status_code == 409
    assert worker.run_once() is False


def test_a_small_market_is_still_answered_at_once(db, settings):
    people = market_with(db)
    app = create_app(settings, db)  # the default threshold: a 1 x 1 market is small
    api = Api(app, {"operator": token(db, people["operator"])})
    r = api("POST", "/api/v1/match-runs", "operator", json={})
    assert r.status_code == 201 and r.json()["proposals"]
