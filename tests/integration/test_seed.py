from __future__ import annotations

from sqlmodel import func, select

from market.integrity import verify_all
from market.seed import seed_demo
from market.tables import LedgerEntry, Lot, Offer, Organisation, Site, User


def snapshot(db) -> dict[str, int]:
    with db.read_session() as s:
        return {
            m.__name__: s.exec(select(func.count()).select_from(m)).one()
            for m in (Organisation, User, Site, Lot, Offer, LedgerEntry)
        }


def test_the_demo_seeds_once_verifies_and_a_second_seed_adds_nothing(db, settings):
    first = seed_demo(db, settings)
    assert first.created and first.deliveries > 0
    after_first = snapshot(db)
    second = seed_demo(db, settings)
    assert not second.created
    assert snapshot(db) == after_first
    with db.read_session() as s:
        report = verify_all(s)
        names = set(s.exec(select(User.username)).all())
    assert report["ok"], report["breaks"][:3]
    assert report["entries_checked"] == after_first["LedgerEntry"]
    assert {"producer-demo", "recycler-demo", "regulator-demo", "operator-demo"} <= names
    assert after_first["Site"] >= 30
