"""What the header's counts cost on every page: each demo role's to-do and unread notifications.

    python -m benchmarks.daily_bench                    # SQLite, on a fresh demo database
    python -m benchmarks.daily_bench --db demo.db       # an existing (demo) database
    python -m benchmarks.daily_bench --notifications 20000

The demo data set is loaded through the services, then each demo user gets `--notifications`
notifications (half read) so the unread count runs over a long history. The baseline, measured in
the same run, is what every signed-in request already pays: reading the caller's user and
organisation. Timings are medians of `--repeat` runs, each in a fresh read session.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import select

from market import notifications, todo, todo_query
from market.auth import actor_for
from market.db import Database
from market.migrate import upgrade
from market.seed import seed_demo, sync_catalogue
from market.settings import Settings
from market.tables import Notification, Organisation, User, utcnow

SETTINGS = Settings(
    secret_key="bench-" + "x" * 40,
    seal_key_file=str(Path(tempfile.mkdtemp(prefix="daily-bench-key-")) / "seal.pem"),
)
ROLES = ("producer-demo", "recycler-demo", "regulator-demo", "evaluator-demo", "operator-demo")


def median_ms(db: Database, fn: Callable[[Any], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        with db.read_session() as session:
            t0 = time.perf_counter()
            fn(session)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def add_history(db: Database, per_user: int) -> None:
    with db.unit_of_work() as uow:
        ids = [u.id for u in uow.session.exec(select(User)).all()]
        now = utcnow()
        for user_id in ids:
            uow.session.execute(
                insert(Notification),
                [
                    {
                        "user_id": user_id,
                        "kind": "bid_placed",
                        "params": {"lot": i, "tonnes": 100, "price": 5},
                        "url": "/bids",
                        "created_at": now,
                        "read_at": now if i % 2 else None,
                    }
                    for i in range(per_user)
                ],
            )
        uow.commit()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", help="an existing SQLite file or URL (default: a fresh demo)")
    p.add_argument("--notifications", type=int, default=5000, help="per user (default 5000)")
    p.add_argument("--repeat", type=int, default=30)
    args = p.parse_args()
    if args.db:
        url = args.db if "://" in args.db else f"sqlite:///{args.db}"
        db = Database(url)
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='daily-bench-')}/demo.db"
        print(f"loading the demo data set into {url} ...", flush=True)
        upgrade(url)
        db = Database(url)
        sync_catalogue(db)
        seed_demo(db, SETTINGS)
    if args.notifications:
        add_history(db, args.notifications)
    print(
        f"{'user':<16} {'to-do items':>11} {'to-do ms':>9} {'unread ms':>9} "
        f"{'baseline ms':>11} {'header / baseline':>17}"
    )
    for username in ROLES:
        with db.read_session() as session:
            user = session.exec(select(User).where(User.username == username)).first()
            if user is None:
                continue
            actor = actor_for(session, user)
            items = todo_query.todo_for(session, actor)
        assert user.id is not None
        uid, org_id = user.id, user.organisation_id

        def baseline(session: Any, uid: int = uid, org_id: int = org_id) -> None:
            session.get(User, uid, populate_existing=True)
            session.get(Organisation, org_id, populate_existing=True)

        todo_ms = median_ms(db, lambda s, a=actor: todo_query.todo_for(s, a), args.repeat)
        unread_ms = median_ms(db, lambda s, u=uid: notifications.unread_count(s, u), args.repeat)
        base_ms = median_ms(db, baseline, args.repeat)
        print(
            f"{username:<16} {todo.total(items):>11} {todo_ms:>9.2f} {unread_ms:>9.2f} "
            f"{base_ms:>11.2f} {(todo_ms + unread_ms) / base_ms:>16.1f}x"
        )
    db.dispose()


if __name__ == "__main__":
    main()
