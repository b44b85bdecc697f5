"""A large audit entries export, answered in the request and written by a job, through the app.

    python -m benchmarks.export_bench                  # SQLite, the demo cloned 100 times
    python -m benchmarks.export_bench --scale 200 --format csv xlsx

The demo is seeded and its producers cloned (benchmarks/audit_bench.py) until the ledger is
`scale` times the demo's; the regulator then exports every entry (`kind=stock` over the whole
ledger, at most 100,000 rows) through the ASGI app with a bearer token:

- **inline**: the GET holds the request until the file is written (the threshold set high);
- **job**: the GET answers 202 (its time is the request's), a worker in this process writes the
  file in chunks, then the download is fetched; the file is checked equal to the inline one
  (CSV byte for byte, Excel cell by cell).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from benchmarks.audit_bench import SETTINGS, clone_producers, demo_database
from market.auth import actor_for
from market.db import Database
from market.services.users import create_token
from market.tables import LedgerEntry, User
from market.worker import Worker
from web.app import create_app


def get(app: Any, url: str, bearer: str) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", timeout=None
        ) as client:
            return await client.get(url, headers={"Authorization": f"Bearer {bearer}"})

    return asyncio.run(run())


def cells(content: bytes) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    return list(
        load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True)
    )


def measure(db: Database, fmt: str) -> dict[str, Any]:
    with db.read_session() as s:
        user = s.exec(select(User).where(User.username == "regulator-demo")).scalars().one()
        actor = actor_for(s, user)
        entries = s.exec(select(func.count()).select_from(LedgerEntry)).scalar_one()
    with db.unit_of_work() as uow:
        bearer = create_token(uow, actor)[1]
    url = f"/api/v1/audit/entries?kind=stock&format={fmt}&lang=en&limit=100000"
    inline_app = create_app(replace(SETTINGS, inline_max_export_rows=10**9), db)
    job_app = create_app(replace(SETTINGS, inline_max_export_rows=0), db)

    for app in (inline_app, job_app):  # started, and the caller's token cached, before timing
        assert get(app, "/api/v1/jobs", bearer).status_code == 200
    t0 = time.perf_counter()
    inline = get(inline_app, url, bearer)
    inline_s = time.perf_counter() - t0
    assert inline.status_code == 200, inline.text[:300]

    t0 = time.perf_counter()
    started = get(job_app, url, bearer)
    accepted_s = time.perf_counter() - t0
    assert started.status_code == 202, started.text[:300]
    job_url = started.json()["job"]["url"]
    t1 = time.perf_counter()
    Worker(db, SETTINGS).run_once()
    work_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    got = get(job_app, job_url + "/download", bearer)
    download_s = time.perf_counter() - t2
    assert got.status_code == 200, got.text[:300]
    same = (
        got.content == inline.content
        if fmt == "csv"
        else cells(got.content) == cells(inline.content)
    )
    rows = get(job_app, job_url + "/result", bearer).json()["rows"]
    return {
        "entries": entries,
        "rows": rows,
        "MB": len(got.content) / 1e6,
        "inline s": inline_s,
        "202 s": accepted_s,
        "job s": work_s,
        "download s": download_s,
        "same": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--format", nargs="+", default=["csv", "xlsx"], choices=["csv", "xlsx"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="export-bench-"))
    try:
        db = demo_database(f"sqlite:///{work / 'bench.db'}")
        if args.scale > 1:
            clone_producers(db, range(1, args.scale))
        results = [(fmt, measure(db, fmt)) for fmt in args.format]
        db.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    head = ["format", "entries", "rows", "MB", "inline s", "202 s", "job s", "download s", "same"]
    print(" | ".join(head))
    for fmt, r in results:
        print(
            " | ".join(
                [fmt, str(r["entries"]), str(r["rows"]), f"{r['MB']:.1f}"]
                + [f"{r[k]:.2f}" for k in ("inline s", "202 s", "job s", "download s")]
                + [str(r["same"])]
            )
        )


if __name__ == "__main__":
    main()
