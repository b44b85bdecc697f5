"""The marketplace pages over plain HTTP (no browser): who sees which page, htmx fragments, and
forms that refuse input keeping what was typed, as a logged-in browser session would post them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from market import clock
from tests.support.live import LiveServer
from tests.support.sessions import HTMX, Session, field_error, input_value


@pytest.fixture(scope="module")
def who(live_server: LiveServer) -> Iterator[dict[str, Session]]:
    sessions = {
        role: Session(live_server, f"{role}-demo")
        for role in ("producer", "recycler", "operator", "regulator")
    }
    # `seed --demo` runs no match; the pages need one to show proposals
    assert sessions["operator"].post("/match-runs", {}).headers["location"] == "/match-runs/1"
    yield sessions
    for s in sessions.values():
        s.close()


@pytest.mark.parametrize(
    ("role", "paths"),
    [
        ("producer", ["/yards", "/my/lots", "/lots/1", "/bids", "/contracts", "/ledger"]),
        ("recycler", ["/my/plants", "/offers", "/proposals", "/bids", "/contracts", "/receipts"]),
        ("operator", ["/match-runs", "/match-runs/1", "/contracts", "/lots/1"]),
        ("regulator", ["/match-runs", "/match-runs/1", "/lots/1"]),
    ],
)
def test_each_role_opens_its_pages(who, role, paths):
    for path in paths:
        page = who[role].get(path)
        assert page.status_code == 200, (path, page.text[-500:])
        assert "<main>" in page.text


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("producer", "/offers"),
        ("producer", "/receipts"),
        ("recycler", "/yards"),
        ("recycler", "/ledger"),
        ("producer", "/match-runs"),
    ],
)
def test_a_page_of_another_role_is_forbidden(who, role, path):
    assert who[role].get(path).status_code == 403


def test_the_assay_fields_follow_the_material_as_an_htmx_fragment(who):
    page = who["producer"].get("/my/lots/assay?material=red_mud", headers=HTMX)
    assert page.status_code == 200
    assert "<html" not in page.text
    assert re.findall(r'name="(quality\.[a-z0-9_]+)"', page.text) == [
        "quality.na2o_pct",
        "quality.fe2o3_pct",
        "quality.al2o3_pct",
        "quality.moisture_pct",
        "quality.ira",
        "quality.ir",
    ]


def test_the_use_prefills_the_offer_limits(who):
    page = who["recycler"].get(
        "/offers/spec?material=phosphogypsum&use=building_gypsum", headers=HTMX
    )
    assert input_value(page.text, "spec.caso4_2h2o_pct.min") == "85"
    assert input_value(page.text, "spec.moisture_pct.max") == "25"
    assert 'value="building_gypsum" selected' in page.text


def test_a_refused_yard_comes_back_as_the_form_fragment_with_the_field_named(who):
    typed = {"name": "成都堆场", "lat": "30.66", "lon": "104.06"}
    page = who["producer"].post("/yards", typed, htmx=True)
    assert page.status_code == 422
    assert page.text.lstrip().startswith('<form id="site-form"')
    assert "不在云南省境内" in field_error(page.text, "lat")
    assert [input_value(page.text, k) for k in typed] == list(typed.values())


def test_a_refused_offer_keeps_its_limits_and_names_the_bound(who):
    typed = {
        "site_id": "19",
        "material": "phosphogypsum",
        "use": "cement_retarder",
        "capacity_t": "800",
        "spec.caso4_2h2o_pct.min": "95",
        "spec.caso4_2h2o_pct.max": "90",
    }
    page = who["recycler"].post("/offers", typed)  # without htmx: the whole page
    assert page.status_code == 422
    assert "<html" in page.text
    assert "下限 95 高于上限 90" in field_error(page.text, "spec-caso4_2h2o_pct-min")
    assert input_value(page.text, "spec.caso4_2h2o_pct.min") == "95"
    assert input_value(page.text, "capacity_t") == "800"


def test_a_ledger_entry_needs_its_document_and_then_shows_in_the_ledger(who):
    producer = who["producer"]
    entry = {
        "kind": "disposal",
        "material": "phosphogypsum",
        "tonnes": "120",
        # a day of an open month: the demo's history is approved and locked
        "occurred_on": clock.today().isoformat(),
        "document": "",
    }
    refused = producer.post("/ledger/1", entry, htmx=True)
    assert refused.status_code == 422
    assert "凭证（document）：处置（disposal）条目必须填写" in field_error(refused.text, "document")
    assert input_value(refused.text, "tonnes") == "120"

    done = producer.post("/ledger/1", entry | {"document": "填埋场接收单 PAGE-TEST"}, htmx=True)
    assert done.status_code == 200
    assert done.headers["HX-Redirect"] == "/ledger?site=1"
    assert "填埋场接收单 PAGE-TEST" in producer.get("/ledger?site=1").text


def test_an_edit_keeps_the_previous_version_in_the_lots_history(who):
    producer = who["producer"]
    lot = producer.get("/lots/2").text
    assert 'id="lot-history"' not in lot
    edit = {
        "tonnes": "41000",
        "asking_price_cny_t": "4",
        "available_from": "2026-11-01",
        "quality.caso4_2h2o_pct": "90",
    }
    moved = producer.post("/lots/2/edit", edit)
    assert moved.status_code == 303
    assert moved.headers["location"] == "/lots/2"
    history = producer.get("/lots/2").text
    assert 'id="lot-history"' in history
    assert re.search(r"<td>1</td><td>修改</td><td>producer-demo</td>", history)


def test_the_schedule_is_the_operators_and_refuses_a_bad_interval(who):
    operator = who["operator"]
    refused = operator.post("/match-runs/schedule", {"every_hours": "-2"}, htmx=True)
    assert refused.status_code == 422
    refusal = "定时运行间隔（every_hours）：'-2' 应在 0（关闭）到 744 之间"
    assert refusal in refused.text.replace("&#39;", "'")
    assert operator.post("/match-runs/schedule", {"every_hours": "6"}).status_code == 303
    assert 'name="every_hours"' in operator.get("/match-runs").text
    assert input_value(operator.get("/match-runs").text, "every_hours") == "6"
    assert operator.post("/match-runs/schedule", {"every_hours": "0"}).status_code == 303
    assert who["regulator"].post("/match-runs/schedule", {"every_hours": "3"}).status_code == 403


def test_a_dispute_is_settled_when_both_parties_name_the_same_figure_and_then_counts(who):
    producer, recycler, operator = who["producer"], who["recycler"], who["operator"]
    run = operator.post("/match-runs", {})
    assert run.status_code == 303
    proposals = recycler.get("/proposals").text
    proposal = re.findall(r'action="/proposals/(\d+)/bid"', proposals)[0]
    bid = recycler.post(f"/proposals/{proposal}/bid", {"price_cny_t": "9", "tonnes": "200"})
    assert bid.headers["location"] == "/bids"
    bid_id = re.findall(r'action="/bids/(\d+)/accept"', producer.get("/bids").text)[0]
    contract = producer.post(f"/bids/{bid_id}/accept", {}).headers["location"]

    too_much = producer.post(
        contract + "/dispatch",
        {"manifest_no": "M-PAGES-1", "tonnes": "500", "idempotency_key": "pages-1"},
        htmx=True,
    )
    assert "剩余的 200 吨" in field_error(too_much.text, "tonnes")
    assert input_value(too_much.text, "manifest_no") == "M-PAGES-1"
    sent = {"manifest_no": "M-PAGES-1", "tonnes": "200", "idempotency_key": "pages-2"}
    assert producer.post(contract + "/dispatch", sent).status_code == 303
    assert producer.post(contract + "/dispatch", sent).status_code == 303  # a replay

    delivery = re.findall(r'id="receipt-(\d+)"', recycler.get("/receipts").text)[0]
    short = recycler.post(f"/deliveries/{delivery}/receipt", {"received_tonnes": "150"})
    assert short.headers["location"] == "/receipts"
    # both parties see the dispute and may propose; the operator only sees it
    for user in (producer, recycler, operator):
        assert f'id="resolve-{delivery}"' in user.get("/contracts").text
    assert f'action="/deliveries/{delivery}/resolve"' not in operator.get("/contracts").text

    # the producer alone cannot settle it
    alone = producer.post(f"/deliveries/{delivery}/resolve", {"accepted_tonnes": "200"})
    assert alone.headers["location"] == contract
    assert not re.search(r"manifest M-PAGES-1 received</td>", producer.get("/ledger?site=1").text)
    # the recycler counters with 190 and the producer agrees: settled, and it counts
    recycler.post(f"/deliveries/{delivery}/resolve", {"accepted_tonnes": "190"})
    settled = producer.post(f"/deliveries/{delivery}/resolve", {"accepted_tonnes": "190"})
    assert settled.headers["location"] == contract
    ledger = producer.get("/ledger?site=1").text
    assert re.search(r"manifest M-PAGES-1 received</td>", ledger)


def test_a_button_refused_by_its_rule_shows_the_reason_on_its_page(who):
    producer, recycler = who["producer"], who["recycler"]
    proposal = re.findall(r'action="/proposals/(\d+)/bid"', recycler.get("/proposals").text)[0]
    recycler.post(f"/proposals/{proposal}/bid", {"price_cny_t": "8", "tonnes": "10"})
    bid_id = re.findall(r'action="/bids/(\d+)/reject"', producer.get("/bids").text)[0]
    assert producer.post(f"/bids/{bid_id}/reject", {}).status_code == 303
    again = producer.post(f"/bids/{bid_id}/accept", {})
    assert again.status_code == 409
    assert (
        f"出价（bid）：{bid_id} 当前为已拒绝（rejected），只有待决定（open）的出价才能接受"
        in again.text
    )


def test_a_recycler_maps_its_own_proposals_and_no_one_elses(who):
    recycler = who["recycler"]
    mine = recycler.get("/api/v1/me").json()["organisation_id"]
    run = who["operator"].get("/api/v1/match-runs/1").json()
    own = [p["id"] for p in run["proposals"] if p["recycler_id"] == mine]
    others = [p["id"] for p in run["proposals"] if p["recycler_id"] != mine]
    assert own and others
    route = recycler.get(f"/proposals/{own[0]}/map.json").json()
    assert route["extraSeries"][0]["type"] == "lines"
    assert {s["kind"] for s in route["sites"]} == {"yard", "plant"}
    assert recycler.get(f"/proposals/{others[0]}/map.json").status_code == 404
