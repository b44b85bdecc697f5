from __future__ import annotations

import re
import shutil
from datetime import UTC, time, timedelta

import pytest
from sqlmodel import func, select

from market.clock import CHINA
from market.db import Database
from market.integrity import verify_all
from market.seed import seed_demo
from market.seed import trucks as seed_trucks
from market.seed.trucks import plate_letter
from market.tables import (
    Contract,
    Delivery,
    DeliveryPapers,
    LedgerEntry,
    Lot,
    Offer,
    Organisation,
    Site,
    User,
)
from seed_data import load_demo

PLATE = re.compile(r"云[A-HJ-NP-S]·[0-9A-HJ-NP-Z]{5}")


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


def deliveries_by_month(db) -> tuple[dict[str, tuple[float, float]], list[tuple]]:
    """Each contract's month (its manifest number less the -M/-T suffix) with the tonnes
    dispatched and received in it, and every delivery with its yard's prefecture and driver."""
    with db.read_session() as s:
        rows = s.exec(
            select(Delivery, Site.prefecture_code, DeliveryPapers.driver)
            .join(Contract, Contract.id == Delivery.contract_id)
            .join(Lot, Lot.id == Contract.lot_id)
            .join(Site, Site.id == Lot.site_id)
            .outerjoin(DeliveryPapers, DeliveryPapers.delivery_id == Delivery.id)
        ).all()
    months: dict[str, tuple[float, float]] = {}
    for d, _code, _driver in rows:
        month = re.sub(r"-(M|T\d+)$", "", d.manifest_no)
        t, r = months.get(month, (0.0, 0.0))
        months[month] = (t + d.tonnes, r + (d.received_tonnes or 0.0))
    return {k: (round(t, 3), round(r, 3)) for k, (t, r) in months.items()}, list(rows)


def ledger_by_month(db) -> list[tuple]:
    with db.read_session() as s:
        entries = s.exec(select(LedgerEntry)).all()
    sums: dict[tuple, float] = {}
    for e in entries:
        key = (e.site_id, e.kind, e.material, e.occurred_on.isoformat()[:7])
        sums[key] = sums.get(key, 0.0) + e.tonnes
    return sorted((k, round(v, 3)) for k, v in sums.items())


# SQLite only: two seeds; the seed on PostgreSQL, trucks and all, is the test above
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_the_demos_last_day_goes_truck_by_truck_and_every_contracts_month_adds_up_as_before(
    db, settings, migrated_templates, tmp_path, monkeypatch
):
    end = load_demo().history_end
    days = {end - timedelta(days=k) for k in range(seed_trucks.TRUCK_DAYS)}
    seed_demo(db, settings)
    shutil.copyfile(migrated_templates["sqlite"], tmp_path / "whole.db")
    whole = Database(f"sqlite:///{tmp_path / 'whole.db'}")
    try:
        monkeypatch.setattr(seed_trucks, "TRUCK_DAYS", 0)  # every month one delivery, as before
        seed_demo(whole, settings)
        before, _ = deliveries_by_month(whole)
        before_ledger = ledger_by_month(whole)
    finally:
        whole.dispose()
    months, rows = deliveries_by_month(db)
    assert months == before
    assert ledger_by_month(db) == before_ledger

    trucks = [(d, code, driver) for d, code, driver in rows if "-T" in d.manifest_no]
    assert len(trucks) > 300
    for d, code, driver in trucks:
        sent = d.dispatched_at.tzinfo and d.dispatched_at or d.dispatched_at.replace(tzinfo=UTC)
        sent = sent.astimezone(CHINA)
        assert 30 <= d.tonnes <= 40 and d.status == "received", d
        assert d.tonnes * (1 - 0.012) - 0.01 <= (d.received_tonnes or 0) <= d.tonnes
        assert sent.date() in days and time(6) <= sent.time() < time(20)
        assert PLATE.fullmatch(d.truck_plate) and d.truck_plate[1] == plate_letter(code)
        assert driver
    assert len({d.truck_plate for d, _c, _dr in trucks}) == len(trucks)
    assert len({d.manifest_no for d, _c, _dr in rows}) == len(rows)
    rest = [d for d, _c, _dr in rows if "-T" not in d.manifest_no]
    assert all(d.manifest_no.endswith("-M") and "月度汇总" in d.note for d in rest)
    assert len(rest) == len(months)
