"""Load run: `wastematch serve --workers 2` on PostgreSQL, a mixed workload, then the invariants.

    python -m benchmarks.load                       # 30 s, at most 20,000 requests
    python -m benchmarks.load --duration 60 --concurrency 48

Loopback only, bounded in time and in requests. The run prints, per route, the count and the
p50/p95/p99 latency, the overall throughput, and a baseline measured in the same run (/healthz,
the floor of the stack: ASGI + middleware, no database work). Afterwards it checks, straight in
the database: no lot or offer over-reserved, every delivery dispatched once in the ledger, every
confirmed receipt in the ledger exactly once and no other, and every hash chain intact.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

ADMIN_URL = os.environ.get(
    "WASTEMATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LOAD_DB = os.environ.get("WASTEMATCH_LOAD_DB", "wastematch_load")
"""Set it to keep one worktree's run (and its template, at its schema) apart from another's."""
SECRET = "load-run-secret-" + "z" * 40
PASSWORD = "demo-password"
QUALITY = {
    "caso4_2h2o_pct": 92.0,
    "p2o5_ws_pct": 0.3,
    "f_ws_pct": 0.1,
    "moisture_pct": 11.0,
    "ira": 0.2,
    "ir": 0.4,
}


class Response:
    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code = status_code
        self.content = body

    def json(self) -> Any:
        return json.loads(self.content)


class LeanClient:
    """HTTP/1.1 keep-alive over one asyncio connection, with just enough parsing for this app.

    httpx costs about a millisecond of CPU per request; on a 2-core machine shared with the
    server that would measure the client, not the server.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            try:
                return await self._once(method, path, json_body, headers or {})
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _once(
        self, method: str, path: str, json_body: Any, headers: dict[str, str]
    ) -> Response:
        assert self.reader is not None and self.writer is not None
        body = b"" if json_body is None else json.dumps(json_body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if json_body is not None or method != "GET":
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length = 0
        close = False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.decode("latin-1").partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and "close" in value.lower():
                close = True
        data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return Response(status, data)


def env_for(url: str) -> dict[str, str]:
    return dict(os.environ) | {
        "WASTEMATCH_DATABASE_URL": url,
        "WASTEMATCH_SECRET_KEY": SECRET,
        "WASTEMATCH_LOG_LEVEL": "WARNING",
    }


def cli(url: str, *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        env=env_for(url),
        check=True,
        capture_output=True,
        input=stdin,
        text=True,
    )


def prepare_database(fresh: bool) -> str:
    """A fresh copy of a seeded template database, so every run starts from the same state.

    The template (demo data set plus two more accounts) is seeded once and kept; `--fresh`
    reseeds it. Copying it takes a second, seeding a minute or two.
    """
    from sqlalchemy.engine import make_url

    from tests.support.pg import connect_admin

    admin = make_url(ADMIN_URL)
    template = LOAD_DB + "_template"

    def connect() -> Any:
        return connect_admin(ADMIN_URL, autocommit=True)

    with connect() as c:
        exists = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone()
        if exists and fresh:
            c.execute(f'DROP DATABASE "{template}" WITH (FORCE)')
            exists = None
        if not exists:
            c.execute(f'CREATE DATABASE "{template}"')
    if not exists:
        url = admin.set(database=template).render_as_string(hide_password=False)
        print(f"seeding the template database {template} (once)")
        cli(url, "db", "upgrade")
        cli(url, "seed", "--demo")
        for user, role, org in (
            ("producer-other", "producer", "晋宁磷复肥厂（示例）"),
            ("recycler-other", "recycler", "云岭石膏建材公司（示例）"),
        ):
            cli(
                url,
                "users",
                "add",
                "--username",
                user,
                "--role",
                role,
                "--org",
                org,
                "--password-stdin",
                stdin=PASSWORD + "\n",
            )
    with connect() as c:
        c.execute(f'DROP DATABASE IF EXISTS "{LOAD_DB}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{LOAD_DB}" TEMPLATE "{template}"')
    url = admin.set(database=LOAD_DB).render_as_string(hide_password=False)
    cli(url, "db", "upgrade")  # a template from an older checkout gets newer migrations
    # fresh planner statistics, so that every run plans its queries alike (autovacuum would
    # get there too, but at a time of its choosing, in the middle of some runs)
    with connect_admin(url, autocommit=True) as c:
        c.execute("ANALYZE")
    return url


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env_for(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return wait_healthy(proc, port)


def wait_healthy(
    proc: subprocess.Popen[bytes], port: int, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """`proc` once its /healthz answers 200; it is killed if it has not within 60 s, and an
    error says so (or that it exited, with the end of `log`)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            said = log.read_text()[-2000:] if log is not None else ""
            raise RuntimeError(f"server exited: {said}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not answer within 60 s")


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    requests: int = 0

    def record(self, route: str, status: int, seconds: float) -> None:
        self.latencies[route].append(seconds * 1000)
        self.statuses[route][status] += 1
        self.requests += 1


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class World:
    tokens: dict[str, str]
    proposals: dict[str, list[dict[str, Any]]]
    producer_by_org: dict[int, str]
    write_share: float = 0.2
    open_bids: list[tuple[int, int, str]] = field(default_factory=list)
    contracts: list[tuple[str, int, str]] = field(default_factory=list)
    dispatched: list[tuple[str, int, float]] = field(default_factory=list)
    manifest: int = 0


async def prepare_market(base: str) -> World:
    tokens = {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        for user in (
            "producer-demo",
            "producer-other",
            "recycler-demo",
            "recycler-other",
            "operator-demo",
        ):
            r = await c.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
            tokens[user] = r.json()["token"]

        def h(user: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[user]}"}

        stamp = int(time.time())
        for producer in ("producer-demo", "producer-other"):
            sites = (await c.get("/api/v1/sites", headers=h(producer))).json()["sites"]
            yard = next(s for s in sites if s["kind"] == "yard")
            for i in range(30):
                await c.post(
                    "/api/v1/lots",
                    headers=h(producer),
                    json={
                        "site_id": yard["id"],
                        "material": "phosphogypsum",
                        "tonnes": 2000,
                        "quality": QUALITY,
                        "available_from": date.today().isoformat(),
                        "lab_report": f"LOAD-{stamp}-{i}",
                    },
                )
        for recycler in ("recycler-demo", "recycler-other"):
            sites = (await c.get("/api/v1/sites", headers=h(recycler))).json()["sites"]
            for plant in [s for s in sites if s["kind"] == "plant"][:3]:
                await c.post(
                    "/api/v1/offers",
                    headers=h(recycler),
                    json={
                        "site_id": plant["id"],
                        "material": "phosphogypsum",
                        "capacity_t": 20000,
                        "max_haul_km": 400,
                    },
                )
        run = (await c.post("/api/v1/match-runs", headers=h("operator-demo"), json={})).json()
        proposals: dict[str, list[dict[str, Any]]] = {"recycler-demo": [], "recycler-other": []}
        for recycler in proposals:
            mine = (await c.get("/api/v1/proposals", headers=h(recycler))).json()["proposals"]
            proposals[recycler] = mine
        producer_by_org = {}
        for producer in ("producer-demo", "producer-other"):
            me = (await c.get("/api/v1/me", headers=h(producer))).json()
            producer_by_org[me["organisation_id"]] = producer
        # only proposals whose lot belongs to a producer the load run can log in as
        for recycler, mine in proposals.items():
            proposals[recycler] = [
                p for p in mine if p["run_id"] == run["id"] and p["producer_id"] in producer_by_org
            ]
    print(
        f"market prepared: match run {run['id']}, "
        + ", ".join(f"{k}: {len(v)} proposals" for k, v in proposals.items())
    )
    return World(tokens, proposals, producer_by_org)


async def user_loop(
    base: str, world: World, stats: Stats, stop: float, budget: list[int], seed: int
) -> None:
    rng = random.Random(seed)
    c = lean(base)
    try:
        while time.monotonic() < stop and budget[0] > 0:
            budget[0] -= 1
            roll = rng.random()
            producer = rng.choice(("producer-demo", "producer-other"))
            recycler = rng.choice(("recycler-demo", "recycler-other"))
            browse = 1 - world.write_share
            if roll < browse:
                user = rng.choice((producer, recycler))
                route, path = rng.choice(
                    (
                        ("GET /lots", "/api/v1/lots?status=open&limit=20"),
                        ("GET /offers", "/api/v1/offers?limit=20"),
                        ("GET /proposals", "/api/v1/proposals?limit=20"),
                        ("GET /contracts", "/api/v1/contracts?limit=20"),
                        ("GET /bids", "/api/v1/bids?limit=20"),
                        ("GET /me", "/api/v1/me"),
                    )
                )
                await call(c, stats, world, user, "GET", route, path)
            elif roll < browse + world.write_share * 10 / 30 and world.proposals[recycler]:
                p = rng.choice(world.proposals[recycler])
                r = await call(
                    c,
                    stats,
                    world,
                    recycler,
                    "POST",
                    "POST /proposals/{id}/bids",
                    f"/api/v1/proposals/{p['id']}/bids",
                    {"price_cny_t": rng.randint(1, 30), "tonnes": 40},
                )
                if r is not None and r.status_code == 201:
                    world.open_bids.append((p["producer_id"], r.json()["id"], recycler))
            elif roll < browse + world.write_share * 17 / 30 and world.open_bids:
                owner, bid_id, bidder = world.open_bids.pop(rng.randrange(len(world.open_bids)))
                user = world.producer_by_org[owner]
                r = await call(
                    c,
                    stats,
                    world,
                    user,
                    "POST",
                    "POST /bids/{id}/accept",
                    f"/api/v1/bids/{bid_id}/accept",
                )
                if r is not None and r.status_code == 201:
                    world.contracts.append((user, r.json()["id"], bidder))
            elif roll < browse + world.write_share * 24 / 30 and world.contracts:
                user, contract_id, bidder = rng.choice(world.contracts)
                world.manifest += 1
                key = f"L{seed}-{world.manifest}-{time.time_ns()}"
                r = await call(
                    c,
                    stats,
                    world,
                    user,
                    "POST",
                    "POST /contracts/{id}/deliveries",
                    f"/api/v1/contracts/{contract_id}/deliveries",
                    {"tonnes": 5, "manifest_no": key, "truck_plate": "云A·LOAD"},
                    headers={"Idempotency-Key": key},
                )
                if r is not None and r.status_code == 201:
                    world.dispatched.append((bidder, r.json()["id"], 5.0))
            elif world.dispatched:
                bidder, delivery_id, tonnes = world.dispatched.pop(
                    rng.randrange(len(world.dispatched))
                )
                await call(
                    c,
                    stats,
                    world,
                    bidder,
                    "POST",
                    "POST /deliveries/{id}/receipt",
                    f"/api/v1/deliveries/{delivery_id}/receipt",
                    {"received_tonnes": tonnes - rng.choice((0, 0, 0.05))},
                )
            else:
                await call(
                    c,
                    stats,
                    world,
                    producer,
                    "GET",
                    "GET /lots",
                    "/api/v1/lots?status=open&limit=20",
                )
    finally:
        await c.close()


def lean(base: str) -> LeanClient:
    host, _, port = base.removeprefix("http://").partition(":")
    return LeanClient(host, int(port))


async def call(
    c: LeanClient,
    stats: Stats,
    world: World,
    user: str,
    method: str,
    route: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Response | None:
    h = {"Authorization": f"Bearer {world.tokens[user]}"} | (headers or {})
    t0 = time.perf_counter()
    try:
        r = await c.request(method, path, json_body=body, headers=h)
    except (OSError, asyncio.IncompleteReadError, ValueError):
        stats.record(route, 599, time.perf_counter() - t0)
        return None
    stats.record(route, r.status_code, time.perf_counter() - t0)
    return r


async def baseline(base: str, seconds: float, concurrency: int) -> Stats:
    stats = Stats()
    stop = time.monotonic() + seconds

    async def loop() -> None:
        c = lean(base)
        try:
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                r = await c.request("GET", "/healthz")
                stats.record("GET /healthz (baseline)", r.status_code, time.perf_counter() - t0)
        finally:
            await c.close()

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return stats


async def mixed(
    base: str, world: World, seconds: float, max_requests: int, concurrency: int
) -> tuple[Stats, float]:
    stats = Stats()
    stop = time.monotonic() + seconds
    budget = [max_requests]
    t0 = time.perf_counter()
    await asyncio.gather(
        *(user_loop(base, world, stats, stop, budget, i) for i in range(concurrency))
    )
    return stats, time.perf_counter() - t0


def cpu_seconds() -> dict[str, float]:
    """CPU time used so far by the app's processes and by PostgreSQL's (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {"server": 0.0, "postgres": 0.0}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline") as f:
                cmd = f.read().replace("\0", " ")
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / tick
        if name.startswith("postgres"):
            out["postgres"] += used
        elif "web.cli serve" in cmd or "multiprocessing" in cmd:
            out["server"] += used
    return out


def check_invariants(url: str) -> list[tuple[str, bool, str]]:
    from sqlalchemy import text

    from market.db import Database
    from market.integrity import verify_all

    db = Database(url)
    out = []
    try:
        with db.read_session() as s:

            def q(sql: str) -> list[Any]:
                return list(s.execute(text(sql)).all())

            over_lots = q("""SELECT l.id FROM lot l JOIN contract c ON c.lot_id = l.id
                WHERE c.status <> 'cancelled' GROUP BY l.id, l.tonnes
                HAVING sum(c.tonnes) > l.tonnes + 1e-6""")
            out.append(("no lot over-reserved", not over_lots, f"{len(over_lots)} lots over"))
            over_offers = q("""SELECT o.id FROM offer o JOIN contract c ON c.offer_id = o.id
                WHERE c.status <> 'cancelled' GROUP BY o.id, o.capacity_t
                HAVING sum(c.tonnes) > o.capacity_t + 1e-6""")
            out.append(
                ("no offer over-reserved", not over_offers, f"{len(over_offers)} offers over")
            )
            bad_dispatch = q("""SELECT d.id FROM delivery d LEFT JOIN ledger_entry e
                ON e.delivery_id = d.id AND e.kind = 'dispatch'
                GROUP BY d.id HAVING count(e.id) <> 1""")
            out.append(
                (
                    "every delivery dispatched once in the ledger",
                    not bad_dispatch,
                    f"{len(bad_dispatch)} wrong",
                )
            )
            bad_receipts = q("""SELECT d.id FROM delivery d LEFT JOIN ledger_entry e
                ON e.delivery_id = d.id AND e.kind = 'utilisation' GROUP BY d.id, d.status
                HAVING count(e.id) <> CASE WHEN d.status = 'received' THEN 1 ELSE 0 END""")
            out.append(
                (
                    "every confirmed receipt in the ledger once, no other",
                    not bad_receipts,
                    f"{len(bad_receipts)} wrong",
                )
            )
            received = q("SELECT count(*) FROM delivery WHERE status = 'received'")[0][0]
            report = verify_all(s)
            out.append(
                (
                    "every hash chain intact",
                    bool(report["ok"]),
                    f"{report['entries_checked']} entries, {report['sites_checked']} chains, "
                    f"{len(report['breaks'])} breaks; {received} receipts",
                )
            )
    finally:
        db.dispose()
    return out


def table(stats: Stats, elapsed: float) -> list[str]:
    lines = [
        f"{'route':34} {'n':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  statuses"
    ]
    for route in sorted(stats.latencies):
        lat = stats.latencies[route]
        codes = ", ".join(f"{k}×{v}" for k, v in sorted(stats.statuses[route].items()))
        lines.append(
            f"{route:34} {len(lat):6d} {len(lat) / elapsed:7.1f} {pct(lat, 50):7.1f} "
            f"{pct(lat, 95):7.1f} {pct(lat, 99):7.1f}  {codes}"
        )
    every = [x for v in stats.latencies.values() for x in v]
    lines.append(
        f"{'ALL':34} {len(every):6d} {len(every) / elapsed:7.1f} {pct(every, 50):7.1f} "
        f"{pct(every, 95):7.1f} {pct(every, 99):7.1f}"
    )
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of mixed load")
    ap.add_argument("--max-requests", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8790)
    ap.add_argument("--fresh", action="store_true", help="reseed the template database")
    ap.add_argument(
        "--write-share",
        type=float,
        default=0.2,
        help="share of requests that write (bid, accept, dispatch, confirm); the rest browse",
    )
    args = ap.parse_args()
    args.duration = min(args.duration, 600)
    args.max_requests = min(args.max_requests, 200_000)

    url = prepare_database(args.fresh)
    base = f"http://127.0.0.1:{args.port}"
    server = start_server(url, args.port, args.workers)
    try:
        world = asyncio.run(prepare_market(base))
        world.write_share = min(max(args.write_share, 0.0), 1.0)
        base_stats = asyncio.run(baseline(base, 5, args.concurrency))
        cpu_before = cpu_seconds()
        stats, elapsed = asyncio.run(
            mixed(base, world, args.duration, args.max_requests, args.concurrency)
        )
        cpu_after = cpu_seconds()
    finally:
        server.terminate()
        server.wait(timeout=30)
    five_xx = sum(n for codes in stats.statuses.values() for c, n in codes.items() if c >= 500)
    every = [x for v in stats.latencies.values() for x in v]
    rps = len(every) / elapsed
    print(
        f"\nserve --workers {args.workers} on PostgreSQL, {args.concurrency} concurrent clients, "
        f"{args.write_share:.0%} writes, "
        f"{elapsed:.1f} s, CPU count {os.cpu_count()}"
    )
    print("\n".join(table(base_stats, 5.0)))
    print()
    print("\n".join(table(stats, elapsed)))
    served = max(1, sum(len(v) for v in stats.latencies.values()))
    for who in ("server", "postgres"):
        used = cpu_after[who] - cpu_before[who]
        print(
            f"CPU {who:9} {used:6.1f} s = {used / elapsed * 100:5.1f} % of one core, "
            f"{used / served * 1000:5.2f} ms a request"
        )
    print()
    checks = check_invariants(url)
    checks.append(("throughput >= 200 req/s", rps >= 200, f"{rps:.0f} req/s"))
    checks.append(("p99 < 500 ms", pct(every, 99) < 500, f"{pct(every, 99):.0f} ms"))
    checks.append(("no 5xx", five_xx == 0, f"{five_xx} answers >= 500"))
    width = max(len(c[0]) for c in checks)
    for name, ok, detail in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name:{width}}  {detail}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
