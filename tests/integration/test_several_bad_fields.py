"""A form or an API call with several bad fields is refused once, naming every one of them: the
API in `error.errors` ({field, code, message, params}), the page beside each input."""

from __future__ import annotations

import pytest

from tests.support.sessions import csrf_meta, field_error

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


def lot_form(client, site_id: int, **change: str) -> dict[str, str]:
    page = client.get("/my/lots")
    token = csrf_meta(page.text)
    return {
        "csrf_token": token,
        "site_id": str(site_id),
        "material": "phosphogypsum",
        "tonnes": "100",
        "available_from": "2026-01-01",
        "quality.caso4_2h2o_pct": "88",
    } | change


def test_the_api_lists_every_bad_field_of_a_lot_the_first_speaking_for_all(producer_page):
    client, yard = producer_page
    answer = client.post_json(
        "/api/v1/lots",
        {
            "site_id": yard,
            "material": "phosphogypsum",
            "tonnes": -5,
            "available_from": "soon",
            "asking_price_cny_t": "cheap",
        },
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert error["field"] == "available_from"
    assert error["message"] == "available_from: 'soon' is not a date (YYYY-MM-DD)"
    assert [(e["field"], e["code"]) for e in error["errors"]] == [
        ("available_from", "invalid"),
        ("tonnes", "invalid"),
        ("asking_price_cny_t", "invalid"),
    ]
    assert error["errors"][1] == {
        "field": "tonnes",
        "code": "invalid",
        "message": "tonnes: -5 must be greater than 0",
        "params": {"field": "tonnes", "value": -5},
    }


def test_one_bad_field_gives_no_list(producer_page):
    client, yard = producer_page
    answer = client.post_json(
        "/api/v1/lots", {"site_id": yard, "material": "phosphogypsum", "tonnes": -5}
    )
    assert answer.status_code == 422
    assert "errors" not in answer.json()["error"]
    assert answer.json()["error"]["params"] == {"field": "tonnes", "value": -5}


def test_the_lot_form_shows_each_refusal_beside_its_field_in_chinese(producer_page):
    client, yard = producer_page
    page = client.post(
        "/my/lots", data=lot_form(client, yard, tonnes="-5", available_from="soon")
    ).text
    assert field_error(page, "tonnes") == "吨数（tonnes）：'-5' 必须大于 0"
    assert field_error(page, "available_from") == (
        "可供起始（available_from）：'soon' 不是日期（YYYY-MM-DD）"
    )
