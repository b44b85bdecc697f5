"""Large exports as jobs, over HTTP on SQLite and PostgreSQL: with the inline maximum at 0 rows
the regulator's entries export answers 202, the job reports rows written as it goes, and its file
is byte for byte the export answered at once; a yard's ledger export starts from the page with
a POST and is downloaded from the job's page; nobody else may download it; a cancel stops it."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import replace
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from market import jobs
from market.services import export_jobs
from market.services.users import create_token
from market.worker import Worker
from tests.support import builders as b
from tests.support.sessions import csrf_field, logged_in
from web.app import create_app

ENTRIES = 12
DAY = b.days_ago(35)


def token(db, actor) -> str:
    with db.unit_of_work() as uow:
        return create_token(uow, actor)[1]


def call(app: Any, method: str, path: str, bearer: str, **kw: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = {"Authorization": f"Bearer {bearer}"}
            return await client.request(method, path, headers=headers, **kw)

    return asyncio.run(run())


@pytest.fixture
def market(db, settings):
    producer = b.actor(db, "producer")
    yard = b.site(db, producer, b.ANNING).id
    for i in range(ENTRIES):
        b.entry(db, producer, yard, "generation", 10.0 + i, DAY)
    people = {
        "producer": producer,
        "other": b.actor(db, "producer"),
        "regulator": b.actor(db, "regulator"),
    }
    tokens = {who: token(db, actor) for who, actor in people.items()}
    return {
        "people": people,
        "tokens": tokens,
        "yard": yard,
        "inline": create_app(settings, db),
        "queued": create_app(replace(settings, inline_max_export_rows=0), db),
        "worker": Worker(db, settings),
    }


ENTRIES_URL = "/api/v1/audit/entries?kind=generation&period=" + DAY[:7] + "&format={fmt}&lang=en"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_large_entries_export_is_a_job_whose_file_equals_the_inline_export(
    db, market, monkeypatch, fmt
):
    regulator = market["tokens"]["regulator"]
    url = ENTRIES_URL.format(fmt=fmt)
    inline = call(market["inline"], "GET", url, regulator)
    assert inline.status_code == 200
    started = call(market["queued"], "GET", url, regulator)
    assert started.status_code == 202, started.text
    job = started.json()["job"]
    assert started.headers["location"] == job["url"]

    # a chunk of 5 rows, every report written: the job's own row shows the rows written grow
    monkeypatch.setattr(export_jobs, "CHUNK_ROWS", 5)
    monkeypatch.setattr(jobs, "PROGRESS_WRITE_S", 0.0)
    seen: list[float] = []

    def watched(fraction: float, stage: str) -> None:
        progress(fraction, stage)
        if stage == "writing rows":
            seen.append(call(market["queued"], "GET", job["url"], regulator).json()["progress"])

    claimed = jobs.claim(db, "test-worker")
    assert claimed is not None and claimed.kind == "export"
    progress = jobs.Progress(db, claimed)
    export_jobs.do_export(db, market["worker"].settings, claimed, watched)  # type: ignore[arg-type]
    assert seen == sorted(seen) and len(set(seen)) == 3 and seen[0] == 0 < seen[-1] < 1

    done = call(market["queued"], "GET", job["url"], regulator).json()
    assert (done["status"], done["progress"]) == ("done", 1.0)
    assert done["result_url"] == f"{job['url']}/download"
    result = call(market["queued"], "GET", f"{job['url']}/result", regulator).json()
    assert result["rows"] == ENTRIES and result["filename"].endswith(f".{fmt}")
    got = call(market["queued"], "GET", done["result_url"], regulator)
    assert got.status_code == 200
    assert got.headers["content-type"] == inline.headers["content-type"]
    assert got.headers["content-disposition"] == inline.headers["content-disposition"]
    if fmt == "csv":
        assert got.content == inline.content
    else:  # a workbook's zip carries its time of writing: compared cell by cell
        assert sheet_rows(got.content) == sheet_rows(inline.content)
        assert len(sheet_rows(got.content)) == ENTRIES + 1
    for other in ("producer", "other"):
        refused = call(market["queued"], "GET", done["result_url"], market["tokens"][other])
        assert refused.status_code == 404


def sheet_rows(content: bytes) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_a_small_export_is_still_answered_at_once(market):
    r = call(market["inline"], "GET", ENTRIES_URL.format(fmt="csv"), market["tokens"]["regulator"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")


def test_a_cancelled_export_stops_and_leaves_no_file(db, market):
    regulator = market["tokens"]["regulator"]
    job = call(market["queued"], "GET", ENTRIES_URL.format(fmt="csv"), regulator).json()["job"]
    claimed = jobs.claim(db, "test-worker")
    assert claimed is not None
    asked = call(market["queued"], "POST", f"{job['url']}/cancel", regulator)
    assert asked.status_code == 200 and asked.json()["cancel_requested"]
    market["worker"].execute(claimed)
    after = call(market["queued"], "GET", job["url"], regulator).json()
    assert after["status"] == "cancelled"
    assert call(market["queued"], "GET", f"{job['url']}/download", regulator).status_code == 404


def test_the_ledger_page_starts_a_large_export_and_its_job_page_offers_the_file(db, market):
    producer = market["people"]["producer"]
    app = market["queued"]
    params = {"site": str(market["yard"])}

    client = logged_in(app, producer.username)
    try:
        page = client.get("/ledger", params=params)
        start = client.get("/ledger/export.csv", params=params)
        form = re.search(r'<form[^>]*id="start-job".*?</form>', start.text, re.S)[0]
        action = re.search(r'action="([^"]+)"', form)[1].replace("&amp;", "&")
        no_csrf = client.post(action)
        started = client.post(action, data={"csrf_token": csrf_field(form)})
        market["worker"].run_once()
        job_page = client.get(started.headers["location"])
        got = client.get(started.headers["location"] + "/download")
    finally:
        client.close()
    assert 'id="ledger-csv">' in page.text and "download id=" not in page.text
    assert no_csrf.status_code == 403
    assert started.status_code == 303 and re.fullmatch(r"/jobs/\d+", started.headers["location"])
    assert 'id="job-result"' in job_page.text and "/download" in job_page.text
    inline = inline_ledger(market["inline"], producer, params)
    assert got.status_code == 200 and got.content == inline.content
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert len([r for r in rows[1:] if r]) == ENTRIES
    job_id = started.headers["location"].rsplit("/", 1)[1]
    other = market["tokens"]["other"]
    assert call(app, "GET", f"/api/v1/jobs/{job_id}/download", other).status_code == 404
    mine = call(app, "GET", f"/api/v1/jobs/{job_id}/download", market["tokens"]["producer"])
    assert mine.content == inline.content


def inline_ledger(app: Any, producer: Any, params: dict[str, str]) -> httpx.Response:
    client = logged_in(app, producer.username)
    try:
        r = client.get("/ledger/export.csv", params=params)
    finally:
        client.close()
    assert r.status_code == 200
    return r
