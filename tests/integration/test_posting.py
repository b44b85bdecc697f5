"""Posting sites, lots, offers and ledger entries through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from market.errors import InvalidInput, NotAllowed, NotFound
from market.integrity import verify_all
from market.services import ledger, lots, offers, sites
from market.tables import LedgerEntry, Lot, Offer, Site
from tests.support import builders as b


def count(db, model) -> int:
    with db.read_session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_a_yard_is_placed_in_its_prefecture_and_county(db):
    producer = b.actor(db, "producer")
    yard = b.site(db, producer, b.ANNING)
    assert (yard.prefecture, yard.county) == ("昆明市", "安宁市")


def test_a_point_outside_yunnan_is_refused_and_nothing_is_written(db):
    producer = b.actor(db, "producer")
    with pytest.raises(InvalidInput, match=r"^lat/lon: \(30\.66, 104\.06\) is outside Yunnan"):
        b.site(db, producer, (30.66, 104.06))  # Chengdu
    assert count(db, Site) == 0


def test_a_recycler_cannot_register_a_yard(db):
    recycler = b.actor(db, "recycler")
    with (
        db.unit_of_work() as uow,
        pytest.raises(NotAllowed, match="^kind: a recycler registers plants"),
    ):
        sites.post_site(uow, recycler, {"name": "x", "kind": "yard", "lat": 25.0, "lon": 102.7})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tonnes": -5}, "tonnes: -5 must be greater than 0"),
        ({"tonnes": "NaN"}, "tonnes: 'NaN' is not a finite number"),
        ({"material": "plutonium"}, "material: 'plutonium' is not a material of the catalogue"),
        ({"quality": {"colour": 3}}, "quality.colour: 3 is not a parameter of phosphogypsum"),
        (
            {"quality": {"caso4_2h2o_pct": 130}},
            "quality.caso4_2h2o_pct: 130 is above the maximum 100",
        ),
        (
            {"available_from": "2026-05-01", "available_until": "2026-04-01"},
            "available_until: 2026-04-01 is before available_from 2026-05-01",
        ),
        ({"colour": "red"}, "colour: 'red' is not a known field"),
    ],
)
def test_bad_lots_are_refused_naming_the_field_and_nothing_is_written(db, change, message):
    producer = b.actor(db, "producer")
    yard = b.site(db, producer)
    with pytest.raises(InvalidInput) as err:
        b.lot(db, producer, yard.id, **change)
    assert str(err.value) == message
    assert count(db, Lot) == 0


def test_a_producer_cannot_post_a_lot_at_another_producers_yard(db):
    owner = b.actor(db, "producer")
    other = b.actor(db, "producer")
    yard = b.site(db, owner)
    with pytest.raises(NotFound, match=f"site_id: {yard.id} does not exist"):
        b.lot(db, other, yard.id)


def test_a_producer_cannot_edit_or_withdraw_another_producers_lot(db):
    owner = b.actor(db, "producer")
    other = b.actor(db, "producer")
    lot = b.lot(db, owner, b.site(db, owner).id)
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        lots.update_lot(uow, other, lot.id, {"tonnes": 1})
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        lots.withdraw_lot(uow, other, lot.id)


def test_editing_a_lot_keeps_its_previous_version(db):
    producer = b.actor(db, "producer")
    lot = b.lot(db, producer, b.site(db, producer).id)
    with db.unit_of_work() as uow:
        edited = lots.update_lot(uow, producer, lot.id, {"tonnes": 12000})
    assert (edited.tonnes, edited.version) == (12000, 2)
    from market.tables import LotRevision

    with db.read_session() as s:
        rev = s.exec(select(LotRevision)).one()
    assert rev.snapshot["tonnes"] == 10000 and rev.version == 1


def test_an_offer_starts_from_its_use_and_takes_overrides(db):
    recycler = b.actor(db, "recycler")
    plant = b.site(db, recycler, b.KUNMING)
    with db.unit_of_work() as uow:
        offer = offers.post_offer(
            uow,
            recycler,
            {
                "site_id": plant.id,
                "material": "phosphogypsum",
                "use": "cement_retarder",
                "capacity_t": 5000,
                "spec": {"moisture_pct": {"max": 12}},
            },
        )
    assert offer.spec["moisture_pct"] == {"max": 12}
    assert "caso4_2h2o_pct" in offer.spec


def test_an_offer_with_min_above_max_is_refused(db):
    recycler = b.actor(db, "recycler")
    plant = b.site(db, recycler, b.KUNMING)
    with pytest.raises(InvalidInput, match=r"^spec\.moisture_pct: min 20 is above max 10$"):
        b.offer(db, recycler, plant.id, spec={"moisture_pct": {"min": 20, "max": 10}})
    assert count(db, Offer) == 0


def test_ledger_entries_chain_from_the_first_and_verify(db):
    producer = b.actor(db, "producer")
    yard = b.site(db, producer)
    posts = [
        {"kind": "opening", "material": "phosphogypsum", "tonnes": 500000, "document": "survey"},
        {"kind": "generation", "material": "phosphogypsum", "tonnes": 40000},
        {"kind": "p2o5_output", "material": "phosphogypsum", "tonnes": 8000},
        {
            "kind": "correction",
            "material": "phosphogypsum",
            "tonnes": -1200,
            "document": "resurvey",
        },
    ]
    for data in posts:
        with db.unit_of_work() as uow:
            ledger.post_entry(uow, producer, yard.id, data)
    with db.read_session() as s:
        entries = s.exec(select(LedgerEntry).order_by(LedgerEntry.seq)).all()
        report = verify_all(s)
    assert entries[0].prev_hash == "0" * 64
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert report["ok"] and report["entries_checked"] == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"kind": "dispatch", "material": "phosphogypsum", "tonnes": 5},
            "kind: 'dispatch' is not one of",
        ),
        (
            {"kind": "generation", "material": "phosphogypsum", "tonnes": 0},
            "tonnes: 0 must be greater than 0",
        ),
        (
            {"kind": "p2o5_output", "material": "red_mud", "tonnes": 5},
            "material: 'red_mud' must be phosphogypsum",
        ),
        ({"kind": "treatment", "material": "phosphogypsum", "tonnes": 5}, "document: is required"),
        (
            {
                "kind": "generation",
                "material": "phosphogypsum",
                "tonnes": 5,
                "occurred_on": "2999-01-01",
            },
            "occurred_on: '2999-01-01' is out of range",
        ),
    ],
)
def test_bad_ledger_entries_are_refused_and_the_chain_is_untouched(db, data, message):
    producer = b.actor(db, "producer")
    yard = b.site(db, producer)
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as err:
        ledger.post_entry(uow, producer, yard.id, data)
    assert str(err.value).startswith(message)
    assert count(db, LedgerEntry) == 0


def test_only_the_yards_owner_posts_to_its_ledger(db):
    owner = b.actor(db, "producer")
    other = b.actor(db, "producer")
    recycler = b.actor(db, "recycler")
    yard = b.site(db, owner)
    entry = {"kind": "generation", "material": "phosphogypsum", "tonnes": 10}
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        ledger.post_entry(uow, other, yard.id, entry)
    with db.unit_of_work() as uow, pytest.raises(NotAllowed):
        ledger.post_entry(uow, recycler, yard.id, entry)
