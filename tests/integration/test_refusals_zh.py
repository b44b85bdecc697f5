"""A refused form, or the matching engine's reason, on a page speaks the page's language; the JSON
API keeps the English."""

from __future__ import annotations

import html

import pytest

from market.services.matching import run_match
from tests.support import builders as b
from tests.support.sessions import Client, csrf_field, field_error, logged_in, post_lot
from web.app import create_app

# the language has nothing to do with the kind of database
pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


def test_a_negative_tonnage_is_refused_in_chinese_on_the_lot_form(producer_page):
    client, yard = producer_page
    refused = post_lot(client, yard, "-5")
    assert refused.status_code == 422
    assert field_error(refused.text, "tonnes") == "吨数（tonnes）：'-5' 必须大于 0"
    assert 'value="-5"' in refused.text


def test_the_same_refusal_is_in_english_once_the_page_is_switched_to_english(producer_page):
    client, yard = producer_page
    assert client.get("/lang/en", params={"next": "/my/lots"}).status_code == 303
    refused = post_lot(client, yard, "-5")
    assert refused.status_code == 422
    assert field_error(refused.text, "tonnes") == "tonnes: '-5' must be greater than 0"


def test_the_json_api_keeps_the_english_message_on_a_chinese_session(producer_page):
    client, yard = producer_page
    answer = client.post_json(
        "/api/v1/lots", {"site_id": yard, "material": "phosphogypsum", "tonnes": -5}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == "tonnes: -5 must be greater than 0"


def test_a_missing_page_object_is_refused_in_chinese_on_the_error_page(producer_page):
    client, _ = producer_page
    page = client.get("/lots/999999")
    assert page.status_code == 404
    assert "批次（lot）：999999 不存在" in page.text


def test_a_wrong_password_is_refused_in_chinese_on_the_login_page(db, settings):
    who = b.actor(db, "producer")
    client = Client(create_app(settings, db))
    try:
        page = client.get("/login")
        token = csrf_field(page.text)
        wrong = {"username": who.username, "password": "not-the-password", "csrf_token": token}
        refused = client.post("/login", data=wrong)
    finally:
        client.close()
    assert refused.status_code == 400
    assert "用户名或密码错误" in refused.text
    assert "username or password is wrong" not in refused.text


def test_the_planner_refuses_a_horizon_in_chinese_beside_the_field(db, settings):
    who = b.actor(db, "regulator")
    client = logged_in(create_app(settings, db), who.username)
    try:
        page = client.get("/audit/planner", params={"horizon_months": "500"})
    finally:
        client.close()
    assert page.status_code == 422
    assert field_error(page.text, "horizon_months") == (
        "规划期（horizon_months）：'500' 应在 1 到 120 之间"
    )


def test_a_match_run_page_explains_an_unmatched_lot_in_chinese_and_in_english_once_switched(
    db, settings
):
    """The engine's reasons stay English in the stored run and the API (docs/matching-format.md);
    the page says them in its language from their details (the catalogue, docs/translating.md)."""
    producer, recycler, operator = (b.actor(db, r) for r in ("producer", "recycler", "operator"))
    yard = b.site(db, producer, b.ANNING)
    lot = b.lot(db, producer, yard.id, quality={"caso4_2h2o_pct": 88.0, "f_ws_pct": 0.62})
    offer = b.offer(
        db, recycler, b.site(db, recycler, b.KUNMING).id, spec={"f_ws_pct": {"max": 0.5}}
    )
    run = run_match(db, operator, settings)
    (reason,) = run.unmatched[0]["reasons"]
    assert reason.startswith(
        f"f_ws_pct 0.62 is above the maximum 0.5 of the nearest plant that limits it, O{offer.id} ("
    )
    client = logged_in(create_app(settings, db), operator.username)
    try:
        chinese = html.unescape(client.get(f"/match-runs/{run.id}").text)
        assert client.get("/lang/en", params={"next": "/"}).status_code == 303
        english = html.unescape(client.get(f"/match-runs/{run.id}").text)
    finally:
        client.close()
    assert f"水溶性氟 0.62 高于上限 0.5（设此限值的最近工厂：O{offer.id}，公路 " in chinese
    assert reason not in chinese
    assert reason in english
    assert f"/lots/{lot.id}" in english
    owner = logged_in(create_app(settings, db), producer.username)
    try:
        where = html.unescape(owner.get(f"/lots/{lot.id}").text)
    finally:
        owner.close()
    assert "<div>水溶性氟 0.62 高于上限 0.5</div>" in where  # the plants that cannot take it
