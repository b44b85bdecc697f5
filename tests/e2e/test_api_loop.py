"""The core loop through the JSON API alone, against a live server on SQLite and PostgreSQL."""

from __future__ import annotations

import concurrent.futures

import pytest

from tests.support.api import GOOD_ASSAY, first_site, post_buying_plant, post_lot, selling


@pytest.fixture(scope="module")
def tokens(live_server_any):
    return {
        role: live_server_any.token(f"{role}-demo")
        for role in ("producer", "recycler", "regulator", "operator")
    }


@pytest.fixture
def api(live_server_any, tokens):
    """One HTTP client per demo role, closed after the test."""
    clients = {role: live_server_any.client(token) for role, token in tokens.items()}
    yield clients
    for c in clients.values():
        c.close()


def test_the_whole_loop_runs_through_the_api(api):
    producer, recycler, operator = api["producer"], api["recycler"], api["operator"]

    yard = first_site(producer)
    lot = post_lot(
        producer, yard["id"], 3000, quality=GOOD_ASSAY, lab_report="API-LOOP-1", **selling()
    )
    assert lot["status"] == "open" and lot["tonnes_open"] == 3000

    plant, offer = post_buying_plant(recycler, "API loop plant", 3000)
    assert plant["county"] == "安宁市"

    run = operator.post("/api/v1/match-runs", json={})
    assert run.status_code == 201, run.text
    run = run.json()
    assert run["status"] in ("optimal", "feasible")
    proposal = next(p for p in run["proposals"] if p["lot_id"] == lot["id"])
    assert proposal["offer_id"] == offer["id"] and proposal["tonnes"] == 3000

    bid = recycler.post(
        f"/api/v1/proposals/{proposal['id']}/bids", json={"price_cny_t": 18, "tonnes": 3000}
    )
    assert bid.status_code == 201, bid.text
    contract = producer.post(f"/api/v1/bids/{bid.json()['id']}/accept")
    assert contract.status_code == 201, contract.text
    contract = contract.json()
    assert (contract["lot_id"], contract["tonnes"], contract["price_cny_t"]) == (
        lot["id"],
        3000,
        18,
    )
    assert producer.get(f"/api/v1/lots/{lot['id']}").json()["status"] == "reserved"

    deliveries = f"/api/v1/contracts/{contract['id']}/deliveries"
    dispatch = {"tonnes": 3000, "manifest_no": "API-LOOP-M1", "truck_plate": "云A·88888"}
    delivery = producer.post(deliveries, json=dispatch)
    assert delivery.status_code == 201, delivery.text
    again = producer.post(deliveries, json=dispatch)  # the same manifest sent twice
    assert again.status_code == 200 and again.json()["id"] == delivery.json()["id"]

    receipt = recycler.post(
        f"/api/v1/deliveries/{delivery.json()['id']}/receipt", json={"received_tonnes": 2990}
    )
    assert receipt.status_code == 201, receipt.text
    assert receipt.json()["status"] == "received"

    ledger = producer.get(f"/api/v1/sites/{yard['id']}/ledger").json()
    mine = [e for e in ledger["entries"] if e["delivery_id"] == delivery.json()["id"]]
    assert sorted((e["kind"], e["tonnes"]) for e in mine) == [
        ("dispatch", 3000),
        ("utilisation", 2990),
    ]
    assert producer.get(f"/api/v1/contracts/{contract['id']}").json()["status"] == "closed"


def test_bad_input_gets_a_json_error_naming_the_field(api):
    producer = api["producer"]
    yard = first_site(producer)
    r = producer.post(
        "/api/v1/lots", json={"site_id": yard["id"], "material": "phosphogypsum", "tonnes": -5}
    )
    assert r.status_code == 422
    assert r.json() == {
        "error": {
            "code": "invalid",
            "message": "tonnes: -5 must be greater than 0",
            "field": "tonnes",
            "params": {"field": "tonnes", "value": -5},
        }
    }
    r = producer.post(
        "/api/v1/lots", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


def test_two_acceptances_racing_over_http_leave_one_contract(live_server_any, tokens, api):
    producer, recycler, operator = api["producer"], api["recycler"], api["operator"]
    lot = producer.post(
        "/api/v1/lots",
        json={
            "site_id": first_site(producer)["id"],
            "material": "phosphogypsum",
            "tonnes": 1000,
            "quality": {
                "caso4_2h2o_pct": 92.0,
                "p2o5_ws_pct": 0.2,
                "f_ws_pct": 0.1,
                "moisture_pct": 10.0,
                "ira": 0.2,
                "ir": 0.3,
            },
        },
    ).json()
    run = operator.post("/api/v1/match-runs", json={}).json()
    mine = [p for p in run["proposals"] if p["lot_id"] == lot["id"]]
    assert mine, "the new lot should be proposed"
    proposal = mine[0]
    # two bids on the same lot: the recycler's for the proposal, and after withdrawal a second
    first = recycler.post(
        f"/api/v1/proposals/{proposal['id']}/bids",
        json={"price_cny_t": 5, "tonnes": proposal["tonnes"]},
    ).json()
    bids = [first["id"]]

    # accept the same bid from two connections at once: exactly one contract, one 409
    def accept(_: int):
        with live_server_any.client(tokens["producer"]) as c:
            return c.post(f"/api/v1/bids/{bids[0]}/accept")

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(accept, range(4)))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) == 1 and all(c == 409 for c in codes if c != 201), codes
    contracts = [
        c for c in producer.get("/api/v1/contracts").json()["contracts"] if c["lot_id"] == lot["id"]
    ]
    assert len(contracts) == 1
