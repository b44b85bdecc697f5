"""Long work as jobs, end to end on SQLite and PostgreSQL: a 5,000 x 5,000 match run through the
API answers 202 with its job, which reports progress and ends done; a `wastematch worker` killed
in the middle of a job leaves it retried, then failed, each time with the reason; the
match-run page shows the progress bar, then the run."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from benchmarks.scale import PASSWORD, seed_market
from market import jobs
from market.db import Database
from market.migrate import upgrade
from market.seed import sync_catalogue
from market.services import jobs as job_service
from market.tables import Job
from tests.support.browser import logged_in_page
from tests.support.live import LiveServer, server_env, serving
from tests.support.sessions import Session
from tests.support.worlds import demo_database
from web.planning_pages import SITING_DEFAULTS

pytestmark = pytest.mark.slow


def scale_database(url: str, lots: int, offers: int) -> Database:
    upgrade(url)
    db = Database(url)
    sync_catalogue(db)
    seed_market(db, lots, offers)
    return db


@pytest.fixture
def big_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server over 5,000 open lots and 5,000 open offers spread over Yunnan."""
    scale_database(database_url, 5000, 5000).dispose()
    with serving(database_url, tmp_path / "server.log") as server:
        yield server


def test_a_5000_by_5000_match_run_answers_with_its_job_which_reports_progress_and_ends_done(
    big_server: LiveServer,
) -> None:
    with big_server.client(big_server.token("scale-operator-1", PASSWORD)) as api:
        started = time.perf_counter()
        r = api.post("/api/v1/match-runs", json={})
        answered = time.perf_counter() - started
        print(f"POST /match-runs over 5,000 x 5,000 answered {r.status_code} in {answered:.3f} s")
        assert r.status_code == 202, r.text[:500]
        job = r.json()["job"]
        assert r.headers["location"] == job["url"] == f"/api/v1/jobs/{job['id']}"
        seen = []
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            state = api.get(job["url"]).json()
            seen.append((state["status"], state["progress"], state["stage"]))
            if state["status"] in ("done", "failed", "cancelled"):
                break
            time.sleep(0.2)
        print(f"job ended after {time.perf_counter() - started:.1f} s; states: {seen}")
        assert (state["status"], state["progress"], state["error"]) == ("done", 1.0, None)
        assert any(s == "running" and 0 < p < 1 for s, p, _stage in seen), seen
        progress = [p for _s, p, _stage in seen]
        assert progress == sorted(progress)
        run = api.get(state["result_url"])
        assert run.status_code == 200
        assert run.json()["totals"]["matched_t"] > 0
        assert run.json()["proposals_total"] > 1000  # the answer pages them: 500 at a time
        assert len(run.json()["proposals"]) == 500
    with big_server.client(big_server.token("scale-producer-1", PASSWORD)) as producer:
        assert producer.get(job["url"]).status_code == 404
        assert producer.post(job["url"] + "/cancel").status_code == 404


def _worker(url: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    settings = {
        "WASTEMATCH_JOB_HEARTBEAT_S": "0.5",
        "WASTEMATCH_JOB_STALE_S": "3",
        "WASTEMATCH_LOG_LEVEL": "INFO",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "web.cli", "worker", "--poll", "0.2"],
            env=server_env(url) | settings | env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_for(db: Database, job_id: int, check, what: str, timeout: float = 120) -> Job:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.read_session() as s:
            job = s.get(Job, job_id)
        assert job is not None
        if check(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never {what}: {job.status} {job.stage} {job.error}")


def _in_the_middle(job: Job) -> bool:
    return job.status == "running" and job.stage in ("reading", "preparing", "building", "solving")


def test_a_worker_killed_in_the_middle_of_a_job_leaves_it_retried_then_failed_with_the_reason(
    database_url: str, settings, tmp_path: Path
) -> None:
    db = scale_database(database_url, 3000, 3000)
    try:
        two_tries = replace(settings, job_max_attempts=2)
        job = job_service.start_match_run(db, None, two_tries, trigger="schedule")
        assert job.id is not None
        first = _worker(database_url, tmp_path / "worker.log")
        running = _wait_for(db, job.id, _in_the_middle, "ran")
        assert running.attempts == 1
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        # nobody else works here: the job stays as the dead worker left it until it is reaped
        assert _wait_for(db, job.id, lambda j: True, "read").status == "running"

        second = _worker(database_url, tmp_path / "worker.log")
        try:
            retried = _wait_for(
                db, job.id, lambda j: j.attempts == 2 and _in_the_middle(j), "was retried"
            )
            assert f"attempt 1: worker {running.worker} stopped answering" in retried.error
            assert retried.error.endswith("queued again")
            assert retried.worker != running.worker
        finally:
            second.send_signal(signal.SIGKILL)
            second.wait(timeout=30)

        time.sleep(3.5)  # the second worker's heartbeat is now stale too
        assert jobs.reap(db, stale_s=3) == [job.id]
        failed = _wait_for(db, job.id, lambda j: j.status != "running", "ended")
        assert failed.status == "failed"
        assert f"attempt 2: worker {retried.worker} stopped answering" in failed.error
        assert failed.error.endswith("failed after 2 attempts")
        assert failed.finished_at is not None
    finally:
        db.dispose()


def test_a_worker_stops_between_jobs_when_told_to(database_url: str, tmp_path: Path) -> None:
    upgrade(database_url)
    log = tmp_path / "worker.log"
    worker = _worker(database_url, log)
    deadline = time.monotonic() + 60
    while "wastematch worker:" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)  # until it has started and listens for signals
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0


@pytest.fixture(scope="module")
def queued_server(demo_sqlite_template: Path, tmp_path_factory) -> Iterator[LiveServer]:
    """The demo, where every match run, plan and siting is a job however small the market."""
    here = tmp_path_factory.mktemp("queued")
    with (
        demo_database("sqlite", demo_sqlite_template, here) as url,
        serving(url, here / "server.log", env={"WASTEMATCH_INLINE_MAX_PAIRS": "0"}) as server,
    ):
        yield server


def _follow(session: Session, started: httpx.Response) -> str:
    """From a form that started a job to the page of its result, as the job page's htmx does."""
    assert started.status_code == 303, started.text[-500:]
    job_page = started.headers["location"]
    assert re.fullmatch(r"/jobs/\d+", job_page)
    page = session.get(job_page)
    assert page.status_code == 200 and 'id="job-bar"' in page.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        poll = session.get(job_page + "/progress", headers={"HX-Request": "true"})
        assert poll.status_code == 200
        if "hx-redirect" in poll.headers:
            return poll.headers["hx-redirect"]
        assert "job-error" not in poll.text, poll.text
        time.sleep(0.3)
    raise AssertionError(f"{job_page} never ended")


def test_the_planner_siting_and_tamper_check_pages_follow_their_jobs_to_the_result(
    queued_server: LiveServer,
) -> None:
    with (
        Session(queued_server, "regulator-demo") as regulator,
        Session(queued_server, "producer-demo") as producer,
    ):
        _pages_follow_their_jobs(regulator, producer)


def _pages_follow_their_jobs(regulator: Session, producer: Session) -> None:
    planner = regulator.get("/audit/planner")
    assert planner.status_code == 200 and 'id="planner-background"' in planner.text
    result = _follow(
        regulator,
        regulator.http.post(
            "/audit/planner",
            data={
                "csrf_token": regulator.csrf,
                "horizon_months": "12",
                "materials": "phosphogypsum",
            },
        ),
    )
    assert re.fullmatch(r"/audit/planner\?job=\d+", result)
    shown = regulator.get(result)
    assert shown.status_code == 200 and "plan-summary" in shown.text

    # the siting form as the page first fills it
    result = _follow(
        regulator,
        regulator.http.post(
            "/audit/siting",
            data={"csrf_token": regulator.csrf, **SITING_DEFAULTS},
            files={"zones": ("", b"", "application/octet-stream")},
        ),
    )
    assert re.fullmatch(r"/audit/siting\?job=\d+", result)
    shown = regulator.get(result)
    assert shown.status_code == 200 and "siting-ranking" in shown.text

    result = _follow(
        regulator, regulator.http.post("/audit/verify/jobs", data={"csrf_token": regulator.csrf})
    )
    assert re.fullmatch(r"/audit/verify\?job=\d+", result)
    shown = regulator.get(result)
    assert shown.status_code == 200 and 'data-verify="ok"' in shown.text

    assert producer.get(result).status_code in (403, 404)
    assert producer.get("/jobs/1").status_code == 404


@pytest.mark.browser
def test_the_match_run_page_shows_the_progress_bar_then_the_run(
    browser, queued_server: LiveServer
) -> None:
    with logged_in_page(browser, queued_server, "operator-demo") as page:
        page.goto("/match-runs")
        page.click("#start-run button[type=submit]")
        page.wait_for_url(re.compile(r"/jobs/\d+$"))
        assert page.locator("#job-bar").is_visible()
        assert page.locator("#job-stage").inner_text()
        page.wait_for_url(re.compile(r"/match-runs/\d+$"), timeout=60_000)
        assert page.locator("#run-proposals tbody tr").count() > 0
