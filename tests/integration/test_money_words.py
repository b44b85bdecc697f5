"""Every price says who pays whom, in words (web/format.py who_pays): a lot asking -5 CNY/t is
the producer paying the recycler 5 CNY/t; the bid form says when the recycler's own offer price,
which it starts from, points the other way from the producer's ask."""

from __future__ import annotations

import re

import pytest

from market.services.matching import run_match
from tests.support import builders as b
from tests.support.sessions import logged_in
from web.app import create_app

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)

PRODUCER_PAYS_5 = "产废单位向利用单位支付 5 元/吨"
RECYCLER_PAYS_10 = "利用单位向产废单位支付 10 元/吨"


@pytest.fixture
def market(db, settings):
    producer, recycler, operator = (b.actor(db, r) for r in ("producer", "recycler", "operator"))
    yard = b.site(db, producer)
    plant = b.site(db, recycler, where=(24.9, 102.6))
    lot = b.lot(db, producer, yard.id, asking_price_cny_t=-5)
    b.offer(db, recycler, plant.id, price_cny_t=10)
    run_match(db, operator, settings)
    app = create_app(settings, db)
    return {"app": app, "producer": producer, "recycler": recycler, "lot": lot}


def test_lots_say_that_the_producer_pays_when_the_ask_is_negative(market):
    client = logged_in(market["app"], market["producer"].username)
    try:
        assert PRODUCER_PAYS_5 in client.get("/lots").text
        assert PRODUCER_PAYS_5 in client.get(f"/lots/{market['lot'].id}").text
        assert PRODUCER_PAYS_5 in client.get("/my/lots").text
        client.get("/lang/en", params={"next": "/lots"})
        assert "producer pays recycler 5 CNY/t" in client.get("/lots").text
    finally:
        client.close()


def test_offers_and_proposals_say_that_the_recycler_pays_when_its_price_is_positive(market):
    client = logged_in(market["app"], market["recycler"].username)
    try:
        assert RECYCLER_PAYS_10 in client.get("/offers").text
        proposals = client.get("/proposals").text
        assert PRODUCER_PAYS_5 in proposals and RECYCLER_PAYS_10 in proposals
    finally:
        client.close()


def test_the_bid_form_says_its_prefilled_price_points_the_other_way_from_the_ask(market):
    client = logged_in(market["app"], market["recycler"].username)
    try:
        page = client.get("/proposals").text
    finally:
        client.close()
    form = re.search(r'<form id="bid-\d+".*?</form>', page, re.S)
    assert form, "a bid form"
    note = re.search(r'<p class="price-note opposite"[^>]*>(.*?)</p>', form[0], re.S)
    assert note, form[0]
    text = re.sub(r"<[^>]+>", "", note[1])
    assert f"已预填您收纳报价的价格：{RECYCLER_PAYS_10}。" in text
    assert f"产废单位的要价：{PRODUCER_PAYS_5}。" in text
    assert "付费方向相反" in text


def test_bids_and_contracts_say_who_pays(db, market):
    from sqlmodel import select

    from market.services import trade
    from market.tables import Proposal

    with db.unit_of_work() as uow:
        proposal = uow.session.exec(select(Proposal)).first()
        assert proposal is not None
        bid = trade.place_bid(uow, market["recycler"], proposal.id, {"price_cny_t": -3})
        uow.commit()
    with db.unit_of_work() as uow:
        contract = trade.accept_bid(uow, market["producer"], bid.id)
        uow.commit()
    client = logged_in(market["app"], market["producer"].username)
    try:
        pays_3 = "产废单位向利用单位支付 3 元/吨"
        assert pays_3 in client.get("/bids").text
        assert pays_3 in client.get("/contracts").text
        assert pays_3 in client.get(f"/contracts/{contract.id}").text
    finally:
        client.close()
