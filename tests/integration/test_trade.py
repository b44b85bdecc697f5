"""The core loop through the services: match run → bid → accept → dispatch → receipt → ledger."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlmodel import col, func, select

from market import views
from market.errors import (
    DuplicateManifest,
    InvalidInput,
    InvalidState,
    LotOverReserved,
    NotAllowed,
    NotFound,
)
from market.integrity import verify_all
from market.services import deliveries, lots, trade
from market.services.matching import run_match
from market.tables import Bid, Contract, LedgerEntry, Proposal
from tests.support import builders as b


@pytest.fixture
def market(db, settings):
    producer = b.actor(db, "producer")
    recycler = b.actor(db, "recycler")
    rival = b.actor(db, "recycler")
    operator = b.actor(db, "operator")
    yard = b.site(db, producer, b.ANNING)
    b.entry(db, producer, yard.id, "opening", 50_000, b.days_ago(40))
    lot = b.lot(db, producer, yard.id, tonnes=10000)
    plant = b.site(db, recycler, b.KUNMING)
    rival_plant = b.site(db, rival, b.JINNING)
    offer = b.offer(db, recycler, plant.id, capacity_t=8000)
    rival_offer = b.offer(db, rival, rival_plant.id, capacity_t=8000)
    run = run_match(db, operator, settings)
    with db.read_session() as s:
        proposals = {p.offer_id: p for p in s.exec(select(Proposal)).all()}
    return {
        "producer": producer,
        "recycler": recycler,
        "rival": rival,
        "operator": operator,
        "yard": yard,
        "lot": lot,
        "offer": offer,
        "rival_offer": rival_offer,
        "run": run,
        "proposals": proposals,
    }


def bid(db, who, proposal_id, **data):
    with db.unit_of_work() as uow:
        return trade.place_bid(uow, who, proposal_id, {"price_cny_t": 12} | data)


def accept(db, who, bid_id):
    with db.unit_of_work() as uow:
        return trade.accept_bid(uow, who, bid_id)


def dispatched(db, m, tonnes, manifest_no):
    """A delivery of `tonnes` dispatched under a contract won by the recycler's bid for the
    offer's proposal."""
    p = m["proposals"][m["offer"].id]
    contract = accept(db, m["producer"], bid(db, m["recycler"], p.id).id)
    data = {"tonnes": tonnes, "manifest_no": manifest_no}
    with db.unit_of_work() as uow:
        delivery, _ = deliveries.dispatch_delivery(uow, m["producer"], contract.id, data)
    return delivery


def test_a_match_run_proposes_the_whole_lot_across_both_plants(db, market):
    assert market["run"].status == "optimal"
    props = market["proposals"]
    assert sum(p.tonnes for p in props.values()) == 10000
    assert set(props) == {market["offer"].id, market["rival_offer"].id}


def test_the_whole_loop_ends_with_the_ledger_showing_dispatch_and_utilisation(db, market, settings):
    m = market
    p = m["proposals"][m["offer"].id]
    placed = bid(db, m["recycler"], p.id, tonnes=p.tonnes)
    contract = accept(db, m["producer"], placed.id)
    assert contract.tonnes == p.tonnes
    with db.unit_of_work() as uow:
        delivery, created = deliveries.dispatch_delivery(
            uow,
            m["producer"],
            contract.id,
            {"tonnes": p.tonnes, "manifest_no": "YN-0001", "truck_plate": "云A12345"},
        )
    assert created
    with db.unit_of_work() as uow:
        received, _ = deliveries.confirm_receipt(
            uow, m["recycler"], delivery.id, {"received_tonnes": p.tonnes - 20}, settings
        )
    assert received.status == "received"
    with db.read_session() as s:
        entries = s.exec(select(LedgerEntry).order_by(col(LedgerEntry.seq))).all()
        closed = s.get(Contract, contract.id)
        assert verify_all(s)["ok"]
    assert [(e.kind, e.tonnes) for e in entries] == [
        ("opening", 50_000),
        ("dispatch", p.tonnes),
        ("utilisation", p.tonnes - 20),
    ]
    assert closed.status == "closed"


def test_accepting_reserves_tonnes_and_puts_bids_that_no_longer_fit_on_hold(db, market):
    m = market
    mine = m["proposals"][m["offer"].id]
    theirs = m["proposals"][m["rival_offer"].id]
    b1 = bid(db, m["recycler"], mine.id)
    b2 = bid(db, m["rival"], theirs.id)
    with db.unit_of_work() as uow:
        lots.update_lot(uow, m["producer"], m["lot"].id, {"tonnes": mine.tonnes + 1})
    accept(db, m["producer"], b1.id)
    with db.read_session() as s:
        assert s.get(Bid, b2.id).status == "on_hold"
        lot = views.get_lot(s, m["producer"], m["lot"].id)
    assert lot["tonnes_open"] == 1 and lot["status"] == "open"
    with pytest.raises(InvalidState, match="is on_hold"):
        accept(db, m["producer"], b2.id)


def test_a_held_bid_comes_back_when_the_contract_is_cancelled(db, market):
    m = market
    mine = m["proposals"][m["offer"].id]
    theirs = m["proposals"][m["rival_offer"].id]
    with db.unit_of_work() as uow:
        lots.update_lot(
            uow, m["producer"], m["lot"].id, {"tonnes": max(mine.tonnes, theirs.tonnes)}
        )
    b1 = bid(db, m["recycler"], mine.id)
    b2 = bid(db, m["rival"], theirs.id)
    contract = accept(db, m["producer"], b1.id)
    with db.unit_of_work() as uow:
        trade.cancel_contract(uow, m["recycler"], contract.id)
    with db.read_session() as s:
        assert s.get(Bid, b2.id).status == "open"


def test_a_recycler_cannot_bid_for_another_recyclers_proposal(db, market):
    m = market
    theirs = m["proposals"][m["rival_offer"].id]
    with pytest.raises(NotFound):
        bid(db, m["recycler"], theirs.id)
    with pytest.raises(NotAllowed):
        bid(db, m["producer"], theirs.id)


def test_only_the_lots_producer_accepts(db, market):
    m = market
    other_producer = b.actor(db, "producer")
    placed = bid(db, m["recycler"], m["proposals"][m["offer"].id].id)
    with pytest.raises(NotFound):
        accept(db, other_producer, placed.id)
    with pytest.raises(NotAllowed):
        accept(db, m["recycler"], placed.id)


def test_a_bid_above_the_proposal_is_refused_naming_tonnes(db, market):
    m = market
    p = m["proposals"][m["offer"].id]
    with pytest.raises(InvalidInput, match=f"^tonnes: {p.tonnes + 1:g} is more than"):
        bid(db, m["recycler"], p.id, tonnes=p.tonnes + 1)


def test_the_same_manifest_twice_is_one_delivery_and_a_clash_is_refused(db, market, settings):
    m = market
    p = m["proposals"][m["offer"].id]
    contract = accept(db, m["producer"], bid(db, m["recycler"], p.id).id)
    data = {"tonnes": 100, "manifest_no": "YN-7"}
    with db.unit_of_work() as uow:
        first, created = deliveries.dispatch_delivery(uow, m["producer"], contract.id, data)
    with db.unit_of_work() as uow:
        again, created_again = deliveries.dispatch_delivery(uow, m["producer"], contract.id, data)
    assert created and not created_again and again.id == first.id
    with db.unit_of_work() as uow, pytest.raises(DuplicateManifest, match="manifest_no: 'YN-7'"):
        deliveries.dispatch_delivery(uow, m["producer"], contract.id, data | {"tonnes": 99})
    with db.read_session() as s:
        dispatches = s.exec(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "dispatch")
        ).one()
    assert dispatches == 1


def test_a_weight_gap_beyond_tolerance_disputes_until_resolved(db, market, settings):
    m = market
    d = dispatched(db, m, 1000, "YN-9")
    with db.unit_of_work() as uow:
        disputed, _ = deliveries.confirm_receipt(
            uow, m["recycler"], d.id, {"received_tonnes": 950}, settings
        )
    assert disputed.status == "disputed"
    with db.read_session() as s:
        kinds = [e.kind for e in s.exec(select(LedgerEntry)).all()]
    assert kinds == ["opening", "dispatch"]
    with db.unit_of_work() as uow:
        deliveries.propose_settlement(
            uow, m["recycler"], d.id, {"settled_tonnes": 960, "note": "re-weighed"}
        )
    with db.unit_of_work() as uow:
        resolved = deliveries.resolve_dispute(
            uow, m["producer"], d.id, {"accepted_tonnes": 960, "note": "re-weighed"}
        )
    assert resolved.status == "received"
    with db.read_session() as s:
        util = s.exec(select(LedgerEntry).where(LedgerEntry.kind == "utilisation")).one()
    assert util.tonnes == 960 and util.delivery_id == d.id


def test_a_receipt_confirmed_twice_is_counted_once(db, market, settings):
    m = market
    d = dispatched(db, m, 500, "YN-10")
    for _ in range(2):
        with db.unit_of_work() as uow:
            deliveries.confirm_receipt(uow, m["recycler"], d.id, {"received_tonnes": 499}, settings)
    with db.read_session() as s:
        assert (
            s.exec(
                select(func.count())
                .select_from(LedgerEntry)
                .where(LedgerEntry.kind == "utilisation")
            ).one()
            == 1
        )


def test_dispatching_more_than_the_contract_is_refused(db, market):
    m = market
    p = m["proposals"][m["offer"].id]
    contract = accept(db, m["producer"], bid(db, m["recycler"], p.id, tonnes=1000).id)
    with db.unit_of_work() as uow, pytest.raises(InvalidInput, match="^tonnes: 1001 is more than"):
        deliveries.dispatch_delivery(
            uow, m["producer"], contract.id, {"tonnes": 1001, "manifest_no": "YN-11"}
        )


def test_two_acceptances_racing_for_the_last_tonnes_leave_exactly_one_contract(db, market):
    m = market
    mine = m["proposals"][m["offer"].id]
    theirs = m["proposals"][m["rival_offer"].id]
    # both bids fit alone, not together
    size = min(mine.tonnes, theirs.tonnes)
    with db.unit_of_work() as uow:
        lots.update_lot(uow, m["producer"], m["lot"].id, {"tonnes": size})
    bids = [
        bid(db, m["recycler"], mine.id, tonnes=size),
        bid(db, m["rival"], theirs.id, tonnes=size),
    ]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def race(bid_id: int) -> None:
        barrier.wait()
        try:
            outcomes.append(accept(db, m["producer"], bid_id))
        except (LotOverReserved, InvalidState) as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=race, args=(x.id,)) for x in bids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.read_session() as s:
        contracts = s.exec(select(Contract)).all()
    assert len(contracts) == 1
    assert sum(isinstance(o, Contract) for o in outcomes) == 1
    assert sum(c.tonnes for c in contracts) <= size


def test_an_expired_lot_is_not_matched(db, settings):
    producer = b.actor(db, "producer")
    recycler = b.actor(db, "recycler")
    operator = b.actor(db, "operator")
    yard = b.site(db, producer)
    b.lot(db, producer, yard.id, available_from="2024-01-01", available_until="2024-06-30")
    b.offer(db, recycler, b.site(db, recycler, b.KUNMING).id)
    run = run_match(db, operator, settings, today=date.today())
    assert run.totals["matched_t"] == 0 and run.problem["lots"] == []


def test_withdrawing_a_lot_puts_its_open_bids_on_hold(db, market):
    m = market
    placed = bid(db, m["recycler"], m["proposals"][m["offer"].id].id)
    with db.unit_of_work() as uow:
        lots.withdraw_lot(uow, m["producer"], m["lot"].id)
    with db.read_session() as s:
        assert s.get(Bid, placed.id).status == "on_hold"
