"""Scale run through the app: a market of N lots and M offers, a match job, the pages after it.

    python -m benchmarks.scale                          # 5,000 lots x 5,000 offers, SQLite
    python -m benchmarks.scale --lots 20000 --offers 20000
    python -m benchmarks.scale --database postgres      # the same on PostgreSQL

Seeds a fresh database (migrated, catalogue synced) with lots and offers spread over Yunnan
(`seed_market`: the seeded generator of benchmarks/generate.py, its points redrawn inside the
province), starts `wastematch serve` on loopback (real HTTP; its job worker is a process beside
it, or with --job-mode thread a thread inside it), starts a match run through the API (it
answers 202 with its job), polls the job to its end, then times the pages people open after
it, each fetched twice (the second is shown): time and size in KB. The bare solver
(`matching.solve` in this process, and the `wastematch match` command) on the very problem
the run solved is the baseline, in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.generate import synthetic_problem

CODES = {
    "copper_tailings": "tailings_copper",
    "blast_furnace_slag": "bf_slag",
    "desulfurisation_gypsum": "fgd_gypsum",
}
PASSWORD = "scale-password"
SECRET = "scale-run-secret-" + "s" * 40


def _points_in_yunnan(rng: np.random.Generator, n: int) -> tuple[np.ndarray, list[Any]]:
    """`n` points drawn uniformly inside Yunnan, with their county."""
    from benchmarks.generate import YUNNAN
    from geo.regions import load_regions

    regions = load_regions()
    lat0, lat1, lon0, lon1 = YUNNAN
    lats: list[float] = []
    lons: list[float] = []
    places: list[Any] = []
    while len(lats) < n:
        lat = np.round(rng.uniform(lat0, lat1, 2 * n), 5)
        lon = np.round(rng.uniform(lon0, lon1, 2 * n), 5)
        found = regions.locate_many(lat, lon)
        for a, b, place in zip(lat, lon, found, strict=True):
            if place is not None and len(lats) < n:
                lats.append(float(a))
                lons.append(float(b))
                places.append(place)
    return np.array([lats, lons]).T, places


def seed_market(
    db: Any,
    lots: int,
    offers: int,
    *,
    seed: int = 7,
    producers: int = 50,
    recyclers: int = 50,
) -> dict[str, Any]:
    """Add `lots` open lots and `offers` open intake offers over Yunnan to a migrated database
    (bulk inserts, one transaction), with an operator, a regulator and one producer and one
    recycler account per organisation (`scale-producer-1`... password PASSWORD)."""
    from sqlalchemy import insert

    from market import clock
    from market.auth import hash_password
    from market.tables import Lot, Offer, Organisation, Site, User

    rng = np.random.default_rng(seed)
    # enough plants that their accepts give `offers` offers (1.55 accepts a plant on average)
    problem = synthetic_problem(lots, max(1, int(offers / 1.4) + 10), seed)
    accepts = [(f, a) for f in problem.facilities for a in f.accepts][:offers]
    if len(accepts) < offers:
        raise ValueError(f"the generator gave {len(accepts)} offers, fewer than {offers}")
    lot_points, lot_places = _points_in_yunnan(rng, lots)
    plant_ids = sorted({f.id for f, _ in accepts})
    plant_points, plant_places = _points_in_yunnan(rng, len(plant_ids))
    plant_index = {fid: i for i, fid in enumerate(plant_ids)}
    today = clock.today()
    pw = hash_password(PASSWORD)
    with db.unit_of_work() as uow:
        s = uow.session

        def orgs(kind: str, n: int) -> list[int]:
            rows = [{"name": f"规模测试{kind}{i + 1}", "kind": kind} for i in range(n)]
            return list(
                s.scalars(
                    insert(Organisation).returning(Organisation.id, sort_by_parameter_order=True),
                    rows,
                )
            )

        def users(kind: str, org_ids: list[int]) -> list[int]:
            rows = [
                {
                    "username": f"scale-{kind}-{i + 1}",
                    "password_hash": pw,
                    "role": kind,
                    "organisation_id": org,
                }
                for i, org in enumerate(org_ids)
            ]
            return list(
                s.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows)
            )

        producer_orgs = orgs("producer", producers)
        recycler_orgs = orgs("recycler", recyclers)
        [operator_org] = orgs("operator", 1)
        [regulator_org] = orgs("regulator", 1)
        producer_users = users("producer", producer_orgs)
        recycler_users = users("recycler", recycler_orgs)
        users("operator", [operator_org])
        users("regulator", [regulator_org])

        def sites(kind: str, points: np.ndarray, places: list[Any], owners: list[int]) -> list[int]:
            rows = [
                {
                    "organisation_id": owners[i % len(owners)],
                    "name": f"{'堆场' if kind == 'yard' else '工厂'}{i + 1}",
                    "kind": kind,
                    "lat": float(points[i, 0]),
                    "lon": float(points[i, 1]),
                    "prefecture": place.prefecture,
                    "prefecture_code": place.prefecture_code,
                    "county": place.county,
                    "county_code": place.county_code,
                }
                for i, place in enumerate(places)
            ]
            return list(
                s.scalars(insert(Site).returning(Site.id, sort_by_parameter_order=True), rows)
            )

        yard_ids = sites("yard", lot_points, lot_places, producer_orgs)
        plant_site_ids = sites("plant", plant_points, plant_places, recycler_orgs)
        s.execute(
            insert(Lot),
            [
                {
                    "site_id": yard_ids[i],
                    "material": CODES.get(lot.material, lot.material),
                    "tonnes": lot.tonnes,
                    "quality": dict(lot.quality),
                    "available_from": today - timedelta(days=30),
                    "asking_price_cny_t": lot.asking_price_cny_t,
                    "max_haul_km": lot.max_haul_km,
                    "created_by": producer_users[i % producers],
                }
                for i, lot in enumerate(problem.lots)
            ],
        )
        s.execute(
            insert(Offer),
            [
                {
                    "site_id": plant_site_ids[plant_index[f.id]],
                    "material": CODES.get(a.material, a.material),
                    "capacity_t": a.capacity_t,
                    "period_start": today - timedelta(days=30),
                    "period_end": today + timedelta(days=365),
                    "spec": {
                        k: {n: v for n, v in (("min", b.min), ("max", b.max)) if v is not None}
                        for k, b in a.spec.items()
                    },
                    "price_cny_t": a.price_cny_t,
                    "max_haul_km": f.max_haul_km,
                    "created_by": recycler_users[plant_index[f.id] % recyclers],
                }
                for f, a in accepts
            ],
        )
        uow.commit()
    if not db.is_sqlite:
        # as after any bulk load: without statistics PostgreSQL planned the open-lots query
        # as if the tables were empty (6 s instead of 0.06 s to count the open market)
        with db.write_engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return {"lots": lots, "offers": offers, "producers": producers, "recyclers": recyclers}


# ----------------------------------------------------------------------------- the run

ADMIN_URL = os.environ.get(
    "WASTEMATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def fresh_database(kind: str, workdir: Path) -> tuple[str, Any]:
    """A migrated, catalogue-synced, empty database; returns (url, drop)."""
    from market.db import Database
    from market.migrate import upgrade
    from market.seed import sync_catalogue

    drop: Any = lambda: None  # noqa: E731
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'scale.db'}"
    else:
        import uuid

        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(ADMIN_URL)
        name = f"wm_scale_{uuid.uuid4().hex[:8]}"
        connect = {
            "host": admin.host,
            "port": admin.port or 5432,
            "user": admin.username,
            "dbname": admin.database,
            "password": admin.password,
            "autocommit": True,
        }
        with psycopg.connect(**connect) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = admin.set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with psycopg.connect(**connect) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    upgrade(url)
    db = Database(url)
    sync_catalogue(db)
    db.dispose()
    return url, drop


def start_server(url: str, port: int, log: Path, mode: str) -> subprocess.Popen[bytes]:
    from benchmarks.load import wait_healthy

    env = dict(os.environ) | {
        "WASTEMATCH_DATABASE_URL": url,
        "WASTEMATCH_SECRET_KEY": SECRET,
        "WASTEMATCH_SEAL_KEY_FILE": str(log.parent / "seal.pem"),
        "WASTEMATCH_LOG_LEVEL": "WARNING",
        "WASTEMATCH_JOB_PROCESSES": "1" if mode == "process" else "0",
        "WASTEMATCH_JOB_THREADS": "1" if mode == "thread" else "0",
    }
    out = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "serve", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    return wait_healthy(proc, port, log)


def page_session(base: str, username: str) -> Any:
    import re

    import httpx

    http = httpx.Client(base_url=base, timeout=120)
    token = re.search(r'name="csrf-token" content="([^"]+)"', http.get("/login").text)
    assert token
    r = http.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "/",
        },
    )
    assert r.status_code == 303, r.text[-300:]
    return http


def timed(http: Any, method: str, path: str, **kw: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    r = http.request(method, path, **kw)
    return time.perf_counter() - t0, r


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    import httpx

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--lots", type=int, default=5000)
    p.add_argument("--offers", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument(
        "--job-mode",
        choices=("process", "thread"),
        default="process",
        help="the server's job worker: a process beside it (default) or a thread inside it",
    )
    args = p.parse_args(argv)

    rows: list[tuple[str, str, str, str]] = []
    workdir = Path(tempfile.mkdtemp(prefix="wastematch-scale-"))
    url, drop = fresh_database(args.database, workdir)
    proc = None
    try:
        from market.db import Database

        db = Database(url)
        t0 = time.perf_counter()
        seed_market(db, args.lots, args.offers, seed=args.seed)
        seeded = time.perf_counter() - t0
        rows.append(("seed the database (bulk insert)", f"{seeded:.2f}", "", ""))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(url, port, workdir / "server.log", args.job_mode)
        api = httpx.Client(base_url=base, timeout=600)
        token = api.post(
            "/api/v1/auth/token", json={"username": "scale-operator-1", "password": PASSWORD}
        ).json()["token"]
        api.headers["authorization"] = f"Bearer {token}"

        took, r = timed(api, "POST", "/api/v1/match-runs", json={})
        assert r.status_code == 202, (r.status_code, r.text[:300])
        job_url = r.json()["job"]["url"]
        rows.append(("POST /api/v1/match-runs → 202 with its job", f"{took:.3f}", "", ""))
        started = time.perf_counter()
        stages: list[str] = []
        polls: list[float] = []
        while True:
            took, r = timed(api, "GET", job_url)
            polls.append(took)
            job = r.json()
            label = f"{job['stage']} {job['progress']:.2f}"
            if not stages or stages[-1].split(" @")[0] != label:
                stages.append(f"{label} @{time.perf_counter() - started:.1f}s")
            if job["status"] in ("done", "failed", "cancelled"):
                break
            time.sleep(0.25)
        job_s = time.perf_counter() - started
        if job["status"] != "done":
            raise RuntimeError(f"job ended {job['status']}: {job['error']}")
        rows.append(("match job, queued to done (polled every 0.25 s)", f"{job_s:.2f}", "", ""))
        rows.append(
            (f"GET job while it ran ({len(polls)} polls), max", f"{max(polls):.3f}", "", "")
        )
        took, r = timed(api, "GET", job["result_url"])
        run = r.json()
        rows.append(
            (f"GET {job['result_url']} (JSON)", f"{took:.3f}", f"{len(r.content) / 1024:,.0f}", "")
        )

        pages = [
            ("scale-recycler-1", "/proposals", "recycler's proposals"),
            ("scale-operator-1", f"/match-runs/{run['id']}", "match-run page"),
            ("scale-operator-1", "/match-runs", "match runs"),
            ("scale-recycler-1", "/offers", "recycler's offers"),
            ("scale-producer-1", "/lots", "open lots"),
            ("scale-producer-1", "/my/lots", "producer's lots"),
            ("scale-producer-1", "/bids", "producer's bids"),
            ("scale-regulator-1", "/audit", "regulator's dashboard"),
        ]
        sessions: dict[str, Any] = {}
        for user, path, what in pages:
            http = sessions.get(user) or sessions.setdefault(user, page_session(base, user))
            first, r = timed(http, "GET", path)
            again, r = timed(http, "GET", path)
            rows.append(
                (
                    f"page {path} ({what}) [{r.status_code}]",
                    f"{again:.3f}",
                    f"{len(r.content) / 1024:,.0f}",
                    f"first {first:.3f}",
                )
            )

        # the baseline: the bare solver on the problem the run solved
        from sqlmodel import select

        import matching
        from market.tables import MatchRun

        with db.read_session() as session:
            stored = session.exec(select(MatchRun).where(MatchRun.id == run["id"])).one()
            problem_json = dict(stored.problem)
            stats = dict(stored.stats)
        problem = matching.problem_from_json(problem_json)
        t0 = time.perf_counter()
        bare = matching.solve(problem)
        bare_s = time.perf_counter() - t0
        problem_file = workdir / "problem.json"
        import json

        problem_file.write_text(json.dumps(problem_json))
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "web.cli",
                "match",
                "--input",
                str(problem_file),
                "--output",
                str(workdir / "result.json"),
            ],
            check=True,
        )
        cli_s = time.perf_counter() - t0
        same = abs(bare.totals.matched_t - run["totals"]["matched_t"]) < 1e-6
        rows.append(
            (
                "bare solver, matching.solve in process",
                f"{bare_s:.2f}",
                "",
                f"{bare.stats.get('arcs', 0):,} arcs; same matched t: {same}",
            )
        )
        rows.append(("bare solver, `wastematch match` process", f"{cli_s:.2f}", "", ""))
        rows.append(
            (
                "job's solve inside the app (stats.total_ms)",
                f"{stats.get('total_ms', 0) / 1000:.2f}",
                "",
                f"job overhead vs in-process solver: {job_s - bare_s:+.2f} s",
            )
        )
        db.dispose()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        drop()

    print(
        f"\n{args.lots:,} lots x {args.offers:,} offers on {args.database}; "
        f"{len(stages)} progress states seen:"
    )
    print("  " + " → ".join(stages))
    print()
    print("| step | s | KB | note |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
