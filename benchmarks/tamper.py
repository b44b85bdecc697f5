"""How long the full tamper check takes at multiples of the demo, before and after it was made
to scale, in the same run.

    python -m benchmarks.tamper --scale 100                   # SQLite, and PostgreSQL if it answers
    python -m benchmarks.tamper --scale 1 10 100 --cache /tmp/tamper-bench
    python -m benchmarks.tamper --scale 100 --no-postgres

Each database gets the demo through the services, then every producer is cloned (organisation,
yards, deliveries, each yard's ledger re-chained with valid hashes, its approved months sealed)
until there are `scale` times as many yards, entries and seals (`benchmarks.audit_bench`); at
100 that is 287,900 entries and 41,400 seals. `--cache DIR` keeps the seeded SQLite files (and
their seal key) for the next run: seeding 100× takes minutes.

"before" is the check as it was (ORM rows, one thread): its three modules (`market/integrity.py`,
`market/audit/seals.py`, `market/audit/verify.py`) read from git at `--baseline` (by default
`BASELINE`, the commit before the check was made to scale) and loaded beside today's `market`, so
the repository keeps no copy of them; "after"
is `market.audit.verify` in a process that has checked no seal yet (the ledger and the seals
split in two by yard, the second half in a forked child on the other core); "again" is the next
check in the same process (a server's, a worker's), which remembers the signatures that held.
All must give the same answer, or the run fails. Times are wall-clock medians; "cpu" adds this
process's and its children's processor time, which says more than the wall clock on a busy
machine (the load average is printed below); "main" is this process's share of "after", the
longer of the two halves, so about what an idle 2-core machine's wall clock would show.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks import audit_bench
from market import audit
from market.audit import signatures
from market.auth import Actor
from market.db import Database
from market.seals import SealKey, load_or_create
from market.tables import LedgerEntry, Organisation, Seal, User

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "8413594449b82893e69e7b8de141ec15e43c13c0"
"""The commit before 186f156 made the tamper check scale: "before" is the check as it was there."""


def baseline_check(rev: str) -> Callable[..., Any]:
    """`market.audit.verify` as it was at `rev`: its chain check (`market/integrity.py`) and its
    seal and document checks (`market/audit/seals.py`) read from git too, each wired to the
    other two, and everything else (tables, scope, keys) today's."""
    integrity = _module_at(rev, "market/integrity.py")
    seals = _module_at(rev, "market/audit/seals.py")
    verify = _module_at(rev, "market/audit/verify.py")
    verify.trust = seals  # `from market.audit import seals as trust` there
    verify.verify_all = integrity.verify_all
    return verify.verify  # type: ignore[no-any-return]


def _module_at(rev: str, path: str) -> types.ModuleType:
    """The module at `path` in commit `rev` (`git show`), under a name of its own."""
    shown = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if shown.returncode != 0:
        raise SystemExit(f"git cannot show {rev}:{path} (a clone with history is needed)")
    name = "baseline_" + path.removesuffix(".py").replace("/", "_")
    module = types.ModuleType(name)
    module.__file__ = f"{rev}:{path}"
    sys.modules[name] = module
    exec(compile(shown.stdout, module.__file__, "exec"), module.__dict__)  # noqa: S102
    return module


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _main_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Median wall seconds, median processor seconds, and the last answer."""
    walls, cpus, answer = [], [], None
    for _ in range(runs):
        c0, t0 = _cpu(), time.perf_counter()
        answer = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
    return statistics.median(walls), statistics.median(cpus), answer


def measure(db: Database, key: SealKey, runs: int, baseline: Callable[..., Any]) -> dict[str, Any]:
    with db.read_session() as s:
        user = s.exec(select(User).where(User.username == "regulator-demo")).scalars().one()
        org = s.get(Organisation, user.organisation_id)
        entries = s.exec(select(func.count()).select_from(LedgerEntry)).scalar_one()
        seals = s.exec(select(func.count()).select_from(Seal)).scalar_one()
    actor = Actor(user.id, user.username, user.role, user.organisation_id, org.name)  # type: ignore[arg-type,union-attr]
    stages: list[tuple[float, str]] = []

    def before() -> Any:
        with db.read_session() as s:
            return baseline(s, actor, seal_key=key)

    def after() -> Any:
        stages.clear()
        with db.read_session() as s:
            return audit.verify(
                s, actor, seal_key=key, progress=lambda f, stage: stages.append((f, stage))
            )

    b_wall, b_cpu, b_answer = timed(before, runs)
    signatures._held.clear()
    main0 = _main_cpu()
    a_wall, a_cpu, a_answer = timed(after, 1)
    a_main = _main_cpu() - main0
    w_wall, w_cpu, w_answer = timed(after, runs)
    if a_answer != b_answer or w_answer != b_answer:
        raise SystemExit("the check's answer changed: before and after differ")
    if not a_answer["ok"]:
        raise SystemExit(f"the seeded ledger does not verify: {a_answer['breaks'][:3]}")
    fractions = [f for f, _ in stages]
    if fractions != sorted(fractions) or not fractions or fractions[-1] != 1.0:
        raise SystemExit(f"progress did not run from 0 to 1 in order: {stages}")
    return {
        "entries": entries,
        "seals": seals,
        "before": b_wall,
        "before_cpu": b_cpu,
        "after": a_wall,
        "after_cpu": a_cpu,
        "after_main": a_main,
        "again": w_wall,
        "again_cpu": w_cpu,
    }


def sqlite_database(scale: int, cache: Path) -> tuple[Database, SealKey]:
    path, pem = cache / f"tamper-x{scale}.db", cache / f"tamper-x{scale}.pem"
    if not (path.exists() and pem.exists()):
        for stale in cache.glob(f"tamper-x{scale}.db*"):
            stale.unlink()
        db = audit_bench.demo_database(f"sqlite:///{path}")
        if scale > 1:
            audit_bench.clone_producers(db, range(1, scale))
        shutil.copyfile(audit_bench.SETTINGS.seal_key_path(), pem)
        return db, load_or_create(pem)
    return Database(f"sqlite:///{path}"), load_or_create(pem)


def postgres_database(scale: int) -> tuple[Database, SealKey, Callable[[], None]] | None:
    from tests.conftest import drop_pg_database, fresh_pg_database

    try:
        url, name = fresh_pg_database()
    except Exception as exc:  # noqa: BLE001 — no server is an answer, not a failure
        print(f"PostgreSQL does not answer ({type(exc).__name__}); SQLite only", flush=True)
        return None
    db = audit_bench.demo_database(url)
    if scale > 1:
        audit_bench.clone_producers(db, range(1, scale))
    return db, load_or_create(audit_bench.SETTINGS.seal_key_path()), lambda: drop_pg_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=int, nargs="+", default=[100])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--cache", type=Path, help="keep the seeded SQLite files here")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--baseline", default=BASELINE, help="git commit whose check is 'before'")
    args = parser.parse_args()
    baseline = baseline_check(args.baseline)
    work = args.cache or Path(tempfile.mkdtemp(prefix="tamper-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: list[tuple[str, int, dict[str, Any]]] = []
    try:
        for scale in sorted(args.scale):
            t0 = time.perf_counter()
            db, key = sqlite_database(scale, work)
            print(f"sqlite ×{scale}: seeded in {time.perf_counter() - t0:.0f} s", flush=True)
            try:
                results.append(("sqlite", scale, measure(db, key, args.runs, baseline)))
            finally:
                db.dispose()
            if not args.no_postgres:
                t0 = time.perf_counter()
                made = postgres_database(scale)
                if made is not None:
                    pg, pg_key, drop = made
                    print(f"postgres ×{scale}: seeded in {time.perf_counter() - t0:.0f} s")
                    try:
                        results.append(
                            ("postgres", scale, measure(pg, pg_key, args.runs, baseline))
                        )
                    finally:
                        pg.dispose()
                        drop()
    finally:
        if args.cache is None:
            shutil.rmtree(work, ignore_errors=True)
    _print(results)


def _print(results: list[tuple[str, int, dict[str, Any]]]) -> None:
    head = (
        f"{'database':<9} {'scale':>5} {'entries':>8} {'seals':>6} {'before':>9} {'cpu':>8} "
        f"{'after':>8} {'cpu':>8} {'main':>8} {'speed-up':>8} {'again':>8} {'cpu':>8}"
    )
    print()
    print(head)
    print("-" * len(head))
    for kind, scale, r in results:
        print(
            f"{kind:<9} {'×' + str(scale):>5} {r['entries']:>8} {r['seals']:>6} "
            f"{r['before']:>8.2f}s {r['before_cpu']:>7.2f}s {r['after']:>7.2f}s "
            f"{r['after_cpu']:>7.2f}s {r['after_main']:>7.2f}s {r['before'] / r['after']:>7.1f}× "
            f"{r['again']:>7.2f}s {r['again_cpu']:>7.2f}s"
        )
    load = os.getloadavg()
    print(f"\n{os.cpu_count()} cores; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
