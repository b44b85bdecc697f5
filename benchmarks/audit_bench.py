"""How long the regulator's audit takes at the demo's size and at multiples of it.

    python -m benchmarks.audit_bench                      # SQLite, scales 1 and 10
    python -m benchmarks.audit_bench --scale 1 10 100
    python -m benchmarks.audit_bench --postgres           # also on WASTEMATCH_TEST_POSTGRES_URL

A scratch database gets the demo data set through the services; each further scale clones every
producer (organisation, yards, deliveries, and each yard's ledger re-chained with valid hashes)
until there are `scale` times as many yards and entries. Timings are the median of a few runs,
each in a fresh read session.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, insert, select

from market import audit
from market.auth import Actor
from market.db import Database
from market.ledger import GENESIS, Content, digest, evidence_pairs
from market.migrate import upgrade
from market.seals import load_or_create
from market.seed import seed_demo, sync_catalogue
from market.services import reports
from market.settings import Settings
from market.tables import (
    Delivery,
    LedgerEntry,
    LedgerHead,
    Organisation,
    Report,
    Seal,
    Site,
    User,
)

T = TypeVar("T")

SETTINGS = Settings(
    secret_key="bench-" + "x" * 40,
    seal_key_file=str(Path(tempfile.mkdtemp(prefix="audit-bench-key-")) / "seal.pem"),
)


def demo_database(url: str) -> Database:
    upgrade(url)
    db = Database(url)
    sync_catalogue(db)
    seed_demo(db, SETTINGS)
    return db


def clone_producers(db: Database, copies: range) -> None:
    """Add clones number `copies` of every demo producer that keeps a ledger."""
    with db.unit_of_work() as uow:
        s = uow.session
        yards = (
            s.exec(select(Site).where(Site.kind == "yard", Site.name.not_like("%·%")))  # type: ignore[attr-defined]
            .scalars()
            .all()
        )
        orgs = {o.id: o for o in s.exec(select(Organisation)).scalars().all()}
        entries = (
            s.exec(select(LedgerEntry).order_by(LedgerEntry.site_id, LedgerEntry.seq))
            .scalars()
            .all()
        )
        by_site: dict[int, list[LedgerEntry]] = {}
        for e in entries:
            by_site.setdefault(e.site_id, []).append(e)
        deliveries = (
            s.exec(select(Delivery).where(Delivery.idempotency_key.is_(None))).scalars().all()
        )  # type: ignore[union-attr]
        producer_ids = sorted({y.organisation_id for y in yards})
        clones: list[tuple[int, int]] = []
        sealer = Actor(0, "bench", "regulator", 0, "bench")
        for k in copies:
            org_map: dict[int, int] = {}
            for oid in producer_ids:
                o = orgs[oid]
                new = Organisation(name=f"{o.name}·{k}", kind=o.kind, pg_ratio=o.pg_ratio)
                s.add(new)
                s.flush()
                org_map[oid] = new.id  # type: ignore[assignment]
            delivery_map: dict[int, int] = {}
            for d in deliveries:
                if d.producer_org_id not in org_map:
                    continue
                new_d = _copy(
                    d,
                    "contract_id manifest_no tonnes dispatched_at dispatched_by received_tonnes "
                    "received_at received_by status",
                    producer_org_id=org_map[d.producer_org_id],
                )
                s.add(new_d)
                s.flush()
                delivery_map[d.id] = new_d.id  # type: ignore[index,assignment]
            rows: list[dict[str, Any]] = []
            heads: list[dict[str, Any]] = []
            for y in yards:
                site = _copy(
                    y,
                    "lat lon prefecture prefecture_code county county_code",
                    organisation_id=org_map[y.organisation_id],
                    name=f"{y.name}·{k}",
                    kind="yard",
                )
                s.add(site)
                s.flush()
                prev = GENESIS
                for e in by_site.get(y.id, []):  # type: ignore[arg-type]
                    delivery = delivery_map.get(e.delivery_id) if e.delivery_id else None
                    c = Content(
                        site.id, e.seq, e.kind, e.material, e.tonnes, e.occurred_on,  # type: ignore[arg-type]
                        e.document, delivery, e.recorded_by, e.recorded_at, prev,
                        evidence_pairs(e.evidence), None,
                    )  # fmt: skip
                    h = digest(c)
                    rows.append(
                        {
                            "site_id": site.id,
                            "seq": e.seq,
                            "kind": e.kind,
                            "material": e.material,
                            "tonnes": e.tonnes,
                            "occurred_on": e.occurred_on,
                            "document": e.document,
                            "delivery_id": delivery,
                            "recorded_by": e.recorded_by,
                            "recorded_at": e.recorded_at,
                            "prev_hash": prev,
                            "hash": h,
                            "evidence": e.evidence,
                            "attestation": e.attestation,
                        }
                    )
                    prev = h
                if by_site.get(y.id):  # type: ignore[arg-type]
                    heads.append({"site_id": site.id, "seq": rows[-1]["seq"], "hash": prev})
                clones.append((y.id, site.id))  # type: ignore[arg-type]
            s.execute(insert(LedgerEntry), rows)
            s.execute(insert(LedgerHead), heads)
        # the clones' approved months, sealed as the demo's are
        key = load_or_create(SETTINGS.seal_key_path())
        approved = s.exec(select(Report).where(Report.status == "approved")).scalars().all()
        by_yard: dict[int, list[Report]] = {}
        for r in approved:
            by_yard.setdefault(r.site_id, []).append(r)
        for source, clone in clones:
            for r in by_yard.get(source, []):
                copy = _copy(
                    r,
                    "period due_on submitted_at submitted_by approved_at approved_by",
                    site_id=clone,
                    status="approved",
                )
                s.add(copy)
                s.flush()
                reports.seal(uow, copy, sealer, key, reason="approved")
        uow.commit()


def _copy(row: T, fields: str, **changes: Any) -> T:
    """A new row of `row`'s table with its `fields` (names separated by spaces) and `changes`."""
    return type(row)(**{name: getattr(row, name) for name in fields.split()}, **changes)


def timed(fn: Callable[[], Any], runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def measure(db: Database, runs: int) -> dict[str, Any]:
    with db.read_session() as s:
        user = s.exec(select(User).where(User.username == "regulator-demo")).scalars().one()
        org = s.get(Organisation, user.organisation_id)
        entries = s.exec(select(func.count()).select_from(LedgerEntry)).scalar_one()
        yards = s.exec(
            select(func.count()).select_from(Site).where(Site.kind == "yard")
        ).scalar_one()
        sealed = s.exec(select(func.count()).select_from(Seal)).scalar_one()
    actor = Actor(user.id, user.username, user.role, user.organisation_id, org.name)  # type: ignore[arg-type,union-attr]
    year = audit.parse_period("2025")
    key = load_or_create(SETTINGS.seal_key_path())
    quarter = audit.parse_period("2025-Q2")

    def run(fn: Callable[..., Any], *args: Any, **kw: Any) -> Callable[[], Any]:
        def call() -> Any:
            with db.read_session() as s:
                return fn(s, actor, *args, **kw)

        return call

    return {
        "yards": yards,
        "entries": entries,
        "seals": sealed,
        "summary 2025": timed(run(audit.summary, year), runs),
        "summary 2025-Q2": timed(run(audit.summary, quarter), runs),
        "以用定产 2025": timed(run(audit.phosphogypsum_table, year), runs),
        "drawdown pg": timed(run(audit.drawdown, audit.Scope(material="phosphogypsum")), runs),
        "entries page": timed(run(audit.ledger_entries, year, kind="consumed"), runs),
        "verify": timed(run(audit.verify, seal_key=key), max(1, runs // 2)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    results: list[tuple[str, int, dict[str, Any]]] = []
    work = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    try:
        kinds = ["sqlite"] + (["postgres"] if args.postgres else [])
        for kind in kinds:
            db, cleanup = _database(kind, work)
            try:
                made = 1
                for scale in sorted(args.scale):
                    if scale > made:
                        clone_producers(db, range(made, scale))
                        made = scale
                    results.append((kind, scale, measure(db, args.runs)))
                    print(f"{kind} ×{scale}: done", flush=True)
            finally:
                db.dispose()
                cleanup()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _print(results)


def _database(kind: str, work: Path) -> tuple[Database, Callable[[], None]]:
    if kind == "sqlite":
        return demo_database(f"sqlite:///{work / 'bench.db'}"), lambda: None
    from tests.conftest import drop_pg_database, fresh_pg_database

    url, name = fresh_pg_database()
    return demo_database(url), lambda: drop_pg_database(name)


def _print(results: list[tuple[str, int, dict[str, Any]]]) -> None:
    keys = [k for k in results[0][2] if k not in ("yards", "entries", "seals")]
    head = f"{'database':<9} {'scale':>5} {'yards':>6} {'entries':>8} {'seals':>6} " + " ".join(
        f"{k:>16}" for k in keys
    )
    print()
    print(head)
    print("-" * len(head))
    for kind, scale, r in results:
        cells = " ".join(f"{r[k]:>13.1f} ms" for k in keys)
        print(
            f"{kind:<9} {'×' + str(scale):>5} {r['yards']:>6} {r['entries']:>8} "
            f"{r['seals']:>6} {cells}"
        )


if __name__ == "__main__":
    main()
