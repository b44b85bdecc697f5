"""How long the list pages take, and how big they are, after a national-size match run.

    python -m benchmarks.pages                     # 5,000 lots x 5,000 offers, this tree vs main
    python -m benchmarks.pages --lots 20000 --offers 20000
    python -m benchmarks.pages --baseline none     # this tree only

Seeds a SQLite database: the demo data (`wastematch seed --demo`), then N lots over the demo
yards and M offers over the demo plants (round robin, so every demo organisation gets its
share), and one match run written straight into the tables: 80 % of the lots proposed to an
offer of their material, the rest unmatched with a reason, its stored problem the size a real
run's would be, and open bids on a fifth of the demo recycler's proposals. The solver is not run:
this measures the pages, not the match (`benchmarks/matching.py` and `benchmarks/dense.py` do).

Each page is fetched through the whole app (Starlette's TestClient: routing, session, CSRF,
database, templates) as the demo user who opens it, once to warm up and then `--repeat` times;
the table shows the median time and the body's size, for this tree and for the baseline (a
`git archive` of `--baseline`, by default `main`, measured in its own process on the same
database). Targets: every page under 300 ms and 500 KB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.builders import PG_QUALITY

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-pages-secret-not-for-production-0123456789"
TARGET_MS = 300.0
TARGET_KB = 500.0

# (user, path) in the order of the table; {run} is the seeded run's id
PAGES = [
    ("recycler-demo", "/proposals"),
    ("recycler-demo", "/proposals?sort=-distance&page=3"),
    ("recycler-demo", "/offers"),
    ("recycler-demo", "/my/plants"),
    ("recycler-demo", "/bids"),
    ("recycler-demo", "/contracts"),
    ("recycler-demo", "/receipts"),
    ("producer-demo", "/my/lots"),
    ("producer-demo", "/bids"),
    ("producer-demo", "/contracts"),
    ("producer-demo", "/ledger"),
    ("producer-demo", "/yards"),
    ("producer-demo", "/lots"),
    ("producer-demo", "/plants"),
    ("operator-demo", "/match-runs"),
    ("operator-demo", "/match-runs/{run}"),
    ("operator-demo", "/contracts"),
    ("recycler-demo", "/api/v1/proposals"),
    ("recycler-demo", "/api/v1/offers"),
    ("producer-demo", "/api/v1/lots"),
    ("operator-demo", "/api/v1/match-runs/{run}"),
    ("operator-demo", "/api/v1/deliveries"),
]


def _env(url: str, tree: Path) -> dict[str, str]:
    return dict(os.environ) | {
        "WASTEMATCH_DATABASE_URL": url,
        "WASTEMATCH_SECRET_KEY": SECRET,
        "WASTEMATCH_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(tree),
    }


def _cli(url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        env=_env(url, ROOT),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )


def seed(path: Path, lots: int, offers: int, seed_value: int = 14) -> int:
    """The demo data plus `lots` lots, `offers` offers and one match run; the run's id."""
    from datetime import UTC, date, datetime, timedelta

    from sqlalchemy import create_engine, insert, select

    from market.tables import Bid, Lot, MatchRun, Offer, Proposal, Site, User

    url = f"sqlite:///{path}"
    _cli(url, "db", "upgrade")
    _cli(url, "seed", "--demo")
    rng = random.Random(seed_value)
    engine = create_engine(url)
    now = datetime.now(UTC)
    today = date.today()
    with engine.begin() as conn:
        sites = conn.execute(select(Site.id, Site.kind, Site.organisation_id)).all()  # type: ignore[call-overload]
        users = {
            org: uid
            for uid, org in conn.execute(select(User.id, User.organisation_id)).all()  # type: ignore[call-overload]
        }
        recycler_org = conn.execute(
            select(User.organisation_id).where(User.username == "recycler-demo")
        ).scalar_one()
        yards = [s for s in sites if s.kind == "yard"]
        plants = [s for s in sites if s.kind == "plant"]
        materials = ["phosphogypsum", "red_mud", "fly_ash", "steel_slag", "fgd_gypsum"]
        from market.tables import Material

        known = set(conn.execute(select(Material.code)).scalars())  # type: ignore[call-overload]
        materials = [m for m in materials if m in known] or sorted(known)[:4]
        lot_rows = []
        for i in range(lots):
            yard = yards[i % len(yards)]
            material = materials[i % len(materials)]
            lot_rows.append(
                {
                    "site_id": yard.id,
                    "material": material,
                    "tonnes": float(rng.randint(500, 50_000)),
                    "quality": PG_QUALITY if material == "phosphogypsum" else {},
                    "lab_report": f"LAB-{i}",
                    "available_from": today - timedelta(days=rng.randint(0, 60)),
                    "available_until": today + timedelta(days=rng.randint(30, 365)),
                    "asking_price_cny_t": float(rng.randint(-30, 20)),
                    "max_haul_km": 300.0,
                    "version": 1,
                    "created_by": users[yard.organisation_id],
                    "created_at": now - timedelta(minutes=lots - i),
                    "updated_at": now - timedelta(minutes=lots - i),
                }
            )
        conn.execute(insert(Lot), lot_rows)
        offer_rows = []
        for i in range(offers):
            plant = plants[i % len(plants)]
            material = materials[(i * 7 + i // len(plants)) % len(materials)]
            offer_rows.append(
                {
                    "site_id": plant.id,
                    "material": material,
                    "capacity_t": float(rng.randint(1_000, 80_000)),
                    "period_start": today - timedelta(days=10),
                    "period_end": today + timedelta(days=365),
                    "spec": {"caso4_2h2o_pct": {"min": 80.0}}
                    if material == "phosphogypsum"
                    else {},
                    "price_cny_t": float(rng.randint(-10, 40)),
                    "max_haul_km": 300.0,
                    "created_by": users[plant.organisation_id],
                    "created_at": now - timedelta(minutes=offers - i),
                }
            )
        conn.execute(insert(Offer), offer_rows)
        new_lots = conn.execute(
            select(Lot.id, Lot.material, Lot.tonnes, Lot.site_id)
            .order_by(Lot.id.desc())
            .limit(lots)  # type: ignore[attr-defined]
        ).all()
        new_offers = conn.execute(
            select(Offer.id, Offer.material, Offer.site_id).order_by(Offer.id.desc()).limit(offers)  # type: ignore[attr-defined]
        ).all()
        by_material: dict[str, list[Any]] = {}
        for o in new_offers:
            by_material.setdefault(o.material, []).append(o)
        plant_org = {s.id: s.organisation_id for s in plants}
        site_at = {s.id: (24.5 + (s.id % 40) / 10, 100.0 + (s.id % 50) / 10) for s in sites}
        problem = {
            "lots": [
                {
                    "key": f"L{lot.id}",
                    "material": lot.material,
                    "tonnes": lot.tonnes,
                    "lat": site_at[lot.site_id][0],
                    "lon": site_at[lot.site_id][1],
                    "quality": PG_QUALITY if lot.material == "phosphogypsum" else {},
                    "max_haul_km": 300.0,
                }
                for lot in new_lots
            ],
            "facilities": [
                {
                    "key": f"O{o.id}",
                    "material": o.material,
                    "capacity_t": 10_000.0,
                    "lat": site_at[o.site_id][0],
                    "lon": site_at[o.site_id][1],
                    "spec": {},
                }
                for o in new_offers
            ],
        }
        proposals, unmatched = [], []
        matched_t = unmatched_t = haul_total = 0.0
        for n, lot in enumerate(new_lots):
            choices = by_material.get(lot.material)
            if n % 5 == 4 or not choices:
                unmatched.append(
                    {
                        "lot": f"L{lot.id}",
                        "material": lot.material,
                        "tonnes": lot.tonnes,
                        "reasons": ["no eligible facility within haul limit"],
                    }
                )
                unmatched_t += lot.tonnes
                continue
            offer = rng.choice(choices)
            km = rng.uniform(5, 300)
            tonnes = round(lot.tonnes * rng.uniform(0.3, 1.0), 1)
            proposals.append(
                {
                    "lot_id": lot.id,
                    "offer_id": offer.id,
                    "tonnes": tonnes,
                    "road_km": round(km, 1),
                    "haul_cost": round(tonnes * km * 0.45, 2),
                    "co2_kg": round(tonnes * km * 0.06, 1),
                    "margins": {"caso4_2h2o_pct": {"value": 88.0, "min": 80.0, "margin": 8.0}}
                    if lot.material == "phosphogypsum"
                    else {},
                    "_org": plant_org[offer.site_id],
                }
            )
            matched_t += tonnes
            haul_total += tonnes * km * 0.45
        run_id = conn.execute(
            insert(MatchRun).values(
                trigger="manual",
                started_at=now,
                finished_at=now,
                status="optimal",
                params={},
                problem=problem,
                totals={
                    "matched_t": round(matched_t, 1),
                    "unmatched_t": round(unmatched_t, 1),
                    "haul_cost": round(haul_total, 2),
                    "t_km": 0,
                    "co2_kg": 0,
                },
                # the engine's stats name the problem's size, as a real run's do
                stats={"total_ms": 0.0, "lots": lots, "facilities": offers, "seeded": True},
                unmatched=unmatched,
            )
        ).inserted_primary_key[0]
        orgs = [p.pop("_org") for p in proposals]
        conn.execute(insert(Proposal), [p | {"run_id": run_id} for p in proposals])
        ids = conn.execute(
            select(Proposal.id, Proposal.tonnes)
            .where(Proposal.run_id == run_id)
            .order_by(Proposal.id)  # type: ignore[arg-type]
        ).all()
        bids = [
            {
                "proposal_id": pid,
                "organisation_id": org,
                "user_id": users[org],
                "price_cny_t": 12.0,
                "tonnes": tonnes,
                "status": "open",
                "created_at": now,
            }
            for (pid, tonnes), org in zip(ids, orgs, strict=True)
            if org == recycler_org and pid % 5 == 0
        ]
        if bids:
            conn.execute(insert(Bid), bids)
    engine.dispose()
    return int(run_id)


MEASURE = r"""
import json, os, re, statistics, sys, time
from starlette.testclient import TestClient
from market.settings import Settings
from web.app import create_app

pages, run_id, repeat = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
app = create_app(Settings.from_env(os.environ))
clients = {}

def client(user):
    if user not in clients:
        c = TestClient(app)
        c.__enter__()
        token = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"username": user, "password": "demo-password",
                                   "csrf_token": token, "next": "/"}, follow_redirects=False)
        assert r.status_code == 303, r.text[-300:]
        clients[user] = c
    return clients[user]

out = []
for user, path in pages:
    c = client(user)
    url = path.replace("{run}", str(run_id))
    first = c.get(url)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = c.get(url)
        times.append((time.perf_counter() - t0) * 1000)
    out.append({"user": user, "path": path, "status": first.status_code,
                "ms": statistics.median(times), "bytes": len(r.content)})
print("RESULT " + json.dumps(out))
"""


def measure(tree: Path, db: Path, run_id: int, repeat: int) -> list[dict[str, Any]]:
    """Every page, timed in a fresh process that imports the app from `tree`."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, json.dumps(PAGES), str(run_id), str(repeat)],
        env=_env(f"sqlite:///{db}", tree),
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])  # type: ignore[no-any-return]
    raise SystemExit(f"measuring {tree} failed:\n{done.stderr[-3000:]}")


def baseline_tree(ref: str, work: Path) -> Path:
    """`ref` of this repository as plain files (git archive): no worktree, no checkout."""
    target = work / f"baseline-{ref.replace('/', '_')}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--lots", type=int, default=5000)
    ap.add_argument("--offers", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", default="main", help="git ref to compare against, or none")
    ap.add_argument("--work", type=Path, default=None, help="where the database goes")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="wastematch-pages-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / f"pages-{args.lots}x{args.offers}.db"
    if db.exists():
        db.unlink()
    print(f"seeding {args.lots} lots x {args.offers} offers into {db} ...", flush=True)
    run_id = seed(db, args.lots, args.offers)
    results = {"this tree": measure(ROOT, db, run_id, args.repeat)}
    if args.baseline != "none":
        tree = baseline_tree(args.baseline, work)
        results[args.baseline] = measure(tree, db, run_id, args.repeat)
    names = list(results)
    head = ["user", "page"]
    for n in names:
        head += [f"{n} ms", f"{n} KB"]
    print()
    print(_row(head))
    print(_row(["---"] * len(head)))
    misses = []
    for i, (user, path) in enumerate(PAGES):
        cells = [user, f"`{path.replace('{run}', str(run_id))}`"]
        for n in names:
            r = results[n][i]
            status = "" if r["status"] == 200 else f" ({r['status']})"
            cells += [f"{r['ms']:.0f}{status}", f"{r['bytes'] / 1024:.1f}"]
        print(_row(cells))
        mine = results["this tree"][i]
        if mine["ms"] > TARGET_MS or mine["bytes"] / 1024 > TARGET_KB or mine["status"] != 200:
            misses.append(f"{path}: {mine['ms']:.0f} ms, {mine['bytes'] / 1024:.0f} KB")
    print()
    print(f"target: every page under {TARGET_MS:.0f} ms and {TARGET_KB:.0f} KB (this tree)")
    print("all met" if not misses else "missed: " + "; ".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
