"""After an action the next page says what was done, once, with a link to it (web/flash.py)."""

from __future__ import annotations

import html
import re

import pytest

from tests.support.sessions import csrf_meta, post_lot

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


def flash_of(page: str) -> tuple[str, str] | None:
    found = re.search(r'<p class="flash" role="status">([^<]*)<a href="([^"]+)"', page)
    return (html.unescape(found[1]).strip(), found[2]) if found else None


def test_posting_a_lot_says_so_on_the_next_page_with_a_link_and_only_once(producer_page):
    client, yard = producer_page
    posted = post_lot(client, yard, "1200")
    assert posted.status_code == 303
    target = posted.headers["location"]
    lot_id = int(target.rsplit("/", 1)[1])
    assert flash_of(client.get(target).text) == (f"废物批次 #{lot_id} 已发布。", f"/lots/{lot_id}")
    assert flash_of(client.get(target).text) is None


def test_an_htmx_post_keeps_the_line_for_the_page_it_redirects_to(producer_page):
    client, yard = producer_page
    client.get("/lang/en", params={"next": "/my/lots"})
    token = csrf_meta(client.get("/my/lots").text)
    answer = client.post(
        "/my/lots",
        data={
            "csrf_token": token,
            "site_id": str(yard),
            "material": "phosphogypsum",
            "tonnes": "500",
            "available_from": "2026-01-01",
            "quality.caso4_2h2o_pct": "88",
        },
        headers={"HX-Request": "true", "HX-Target": "lot-form"},
    )
    assert answer.status_code == 200
    target = answer.headers["hx-redirect"]
    # a partial htmx render in between does not use the line up
    client.get("/my/lots", headers={"HX-Request": "true", "HX-Target": "lot-form"})
    said = flash_of(client.get(target).text)
    assert said is not None and said[0].startswith("Lot #") and said[0].endswith(" posted.")


def test_a_refused_post_says_nothing_was_done(producer_page):
    client, yard = producer_page
    assert post_lot(client, yard, "-5").status_code == 422
    assert flash_of(client.get("/my/lots").text) is None


def number_input(page: str, name: str) -> dict[str, str]:
    tag = re.search(rf'<input name="{re.escape(name)}"[^>]*>', page)
    assert tag, name
    return dict(re.findall(r'(min|max|step)="([^"]*)"', tag[0]))


def test_the_lot_form_s_number_inputs_carry_the_limits_the_service_applies(producer_page):
    from market import fields

    client, _ = producer_page
    form = client.get("/my/lots?material=phosphogypsum").text
    tonnes = number_input(form, "tonnes")
    assert float(tonnes["min"]) == fields.TONNES_STEP
    assert float(tonnes["max"]) == fields.MAX_TONNES
    assert float(tonnes["step"]) == fields.TONNES_STEP
    price = number_input(form, "asking_price_cny_t")
    assert (float(price["min"]), float(price["max"])) == (-fields.PRICE_LIMIT, fields.PRICE_LIMIT)
    assert float(number_input(form, "max_haul_km")["max"]) == fields.MAX_HAUL_KM
    # an assay value: the parameter's physical range from the catalogue
    gypsum = number_input(form, "quality.caso4_2h2o_pct")
    assert (float(gypsum["min"]), float(gypsum["max"])) == (0, 100)


def test_every_number_input_of_the_producer_s_pages_has_a_min_or_a_step(producer_page):
    client, _ = producer_page
    for path in ("/my/lots?material=phosphogypsum", "/yards", "/ledger"):
        page = client.get(path).text
        for tag in re.findall(r'<input [^>]*type="number"[^>]*>', page):
            assert 'min="' in tag and 'step="' in tag, (path, tag)
