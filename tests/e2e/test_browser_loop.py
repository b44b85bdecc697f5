"""The marketplace loop in a real browser, as the demo producer, recycler and operator walk it:
post a lot, post an offer, run a match, bid, accept, dispatch, confirm receipt, read the ledger.
Plus the few things a page must refuse."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from tests.support.browser import log_in_page
from tests.support.live import LiveServer
from tests.support.worlds import add_user

pytestmark = pytest.mark.browser

WAIT_MS = 20_000
MANIFEST = "530181-E2E-0001"


def log_in(browser: Browser, server: LiveServer, username: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1400, "height": 900}, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("dialog", lambda dialog: _accept(dialog))
    log_in_page(page, server, username)
    return context, page


def send_lot_form(page: Page, material: str, fields: dict[str, str]) -> None:
    """Fill the new-lot form on /my/lots with `material` and `fields` (input name → text), and
    send it."""
    page.goto("/my/lots")
    page.select_option("#lot-form select[name=material]", material)
    for name, value in fields.items():
        page.fill(f"input[name='{name}']", value)
    page.click("#lot-form button[type=submit]")


def _accept(dialog: Dialog) -> None:
    dialog.accept()


@pytest.fixture(scope="module")
def users(browser: Browser, live_server: LiveServer) -> Iterator[dict[str, Page]]:
    contexts = {}
    pages = {}
    for role in ("producer", "recycler", "operator"):
        contexts[role], pages[role] = log_in(browser, live_server, f"{role}-demo")
    try:
        yield pages
    finally:
        for context in contexts.values():
            context.close()


def test_the_whole_loop_from_lot_to_ledger(users: dict[str, Page]) -> None:
    producer, recycler, operator = users["producer"], users["recycler"], users["operator"]

    # the producer posts a silicon-slag lot; choosing the material swaps in its assay fields
    send_lot_form(
        producer,
        "silicon_slag",
        {
            "quality.si_pct": "28",
            "quality.sio2_pct": "40",
            "quality.moisture_pct": "3",
            "tonnes": "1200",
            "asking_price_cny_t": "-5",
            "max_haul_km": "100",
            "lab_report": "CMA-E2E-001",
        },
    )
    producer.wait_for_url(re.compile(r"/lots/\d+$"))
    lot_id = int(producer.url.rsplit("/", 1)[1])
    expect(producer.locator("h1")).to_contain_text(f"#{lot_id}")
    expect(producer.locator("#lot-options")).to_be_visible()

    # the slag is on the yard's books: a survey of it goes into the ledger (a dispatch may not
    # take a yard's stock below zero)
    producer.goto("/ledger")
    producer.select_option("#entry-form select[name=kind]", "opening")
    producer.select_option("#entry-form select[name=material]", "silicon_slag")
    producer.fill("#entry-form input[name=tonnes]", "5000")
    producer.fill("#entry-form input[name=document]", "硅渣堆存测绘 E2E")
    producer.click("#entry-form button[type=submit]")
    expect(producer.locator("#ledger-entries")).to_contain_text("硅渣堆存测绘 E2E")

    # the recycler offers to take it at its Anning plant; the use prefills the limits
    recycler.goto("/offers")
    recycler.select_option("select[name=site_id]", label="滇中水泥安宁工厂（示例）")
    recycler.select_option("#offer-form select[name=material]", "silicon_slag")
    recycler.locator("select[name=use]").select_option("silicon_recovery")
    expect(recycler.locator("input[name='spec.si_pct.min']")).to_have_value("20")
    recycler.fill("input[name=capacity_t]", "5000")
    recycler.fill("input[name=price_cny_t]", "12")
    recycler.fill("input[name=max_haul_km]", "50")
    recycler.click("#offer-form button[type=submit]")
    recycler.wait_for_url(re.compile(r"/offers$"))
    expect(recycler.locator("#offers-table tbody tr").first).to_contain_text("硅渣")

    # the operator runs a match; the run proposes the lot to the plant
    operator.goto("/match-runs")
    operator.click("#start-run button")
    operator.wait_for_url(re.compile(r"/match-runs/\d+$"))
    expect(operator.locator(f"#run-proposals a[href='/lots/{lot_id}']")).to_be_visible()

    # the recycler sees the proposal with its route map and bids
    recycler.goto("/proposals")
    card = recycler.locator("section.proposal", has=recycler.locator(f"a[href='/lots/{lot_id}']"))
    expect(card).to_contain_text("滇中水泥安宁工厂")
    expect(card.locator(".route-map")).to_have_attribute("data-ready", "true")
    card.locator("input[name=price_cny_t]").fill("12")
    card.locator("button[type=submit]").click()
    recycler.wait_for_url(re.compile(r"/bids$"))
    expect(recycler.locator("#bids-table")).to_contain_text("滇中水泥安宁工厂")

    # the producer accepts it and dispatches the whole contract under one manifest
    producer.goto("/bids")
    group = producer.locator(f"#lot-bids-{lot_id}")
    group.locator("button.accept").click()
    producer.wait_for_url(re.compile(r"/contracts/\d+$"))
    contract_url = producer.url
    producer.fill("input[name=manifest_no]", MANIFEST)
    producer.fill("input[name=truck_plate]", "云A·E2E01")
    # the form offers one truck's load; this test sends the whole contract at once
    expect(producer.locator("#dispatch-form input[name=tonnes]")).to_have_value("35.0")
    producer.fill("#dispatch-form input[name=tonnes]", "1200")
    producer.click("#dispatch-form button[type=submit]")
    producer.wait_for_url(contract_url)
    expect(producer.locator("table.deliveries")).to_contain_text(MANIFEST)

    # the recycler confirms the weighbridge tonnes (within the tolerance)
    recycler.goto("/receipts")
    pending = recycler.locator(".receipt", has_text=MANIFEST)
    pending.locator("input[name=received_tonnes]").fill("1195")
    pending.locator("button[type=submit]").click()
    expect(recycler.locator(".receipt", has_text=MANIFEST)).to_have_count(0)
    expect(recycler.locator("table.deliveries", has_text=MANIFEST)).to_contain_text("已收货")

    # the producer's ledger has the dispatch and the receipt's utilisation entry
    producer.goto("/ledger")
    entries = producer.locator("#ledger-entries")
    received = entries.locator("tr.kind-utilisation", has_text=f"manifest {MANIFEST} received")
    expect(received).to_contain_text("1,195.0")
    dispatched = entries.locator("tr.kind-dispatch", has_text=f"manifest {MANIFEST}")
    expect(dispatched).to_contain_text("1,200.0")


def test_a_refused_lot_form_names_the_field_and_keeps_what_was_typed(
    users: dict[str, Page],
) -> None:
    producer = users["producer"]
    send_lot_form(
        producer,
        "red_mud",
        {
            "quality.na2o_pct": "6.5",
            "tonnes": "3000",
            "available_from": "2026-12-01",
            "available_until": "2026-11-01",
        },
    )

    until = producer.locator("input[name=available_until]")
    expect(until).to_have_attribute("aria-invalid", "true")
    expect(producer.locator("#err-available_until")).to_contain_text(
        "可供截止（available_until）：2026-11-01 早于可供起始（available_from）的 2026-12-01"
    )
    expect(until).to_have_value("2026-11-01")
    expect(producer.locator("input[name='quality.na2o_pct']")).to_have_value("6.5")
    expect(producer.locator("input[name=tonnes]")).to_have_value("3000")
    expect(producer.locator("#lot-form select[name=material]")).to_have_value("red_mud")
    assert producer.url.endswith("/my/lots")


def test_a_producer_cannot_open_another_producers_withdrawn_lot(
    users: dict[str, Page], live_server: LiveServer
) -> None:
    add_user(live_server.database_url, "rival-producer", "producer", "E2E 对手磷化工")
    with live_server.client(live_server.token("rival-producer")) as rival:
        yard = rival.post(
            "/api/v1/sites", json={"name": "对手堆场", "lat": 24.67, "lon": 102.6}
        ).json()
        body = {"site_id": yard["id"], "material": "phosphogypsum", "tonnes": 500}
        lot = rival.post("/api/v1/lots", json=body).json()
        assert rival.delete(f"/api/v1/lots/{lot['id']}").json()["status"] == "withdrawn"

    producer = users["producer"]
    response = producer.goto(f"/lots/{lot['id']}")
    assert response is not None and response.status == 404
    expect(producer.locator(".error-page")).to_contain_text(f"批次（lot）：{lot['id']} 不存在")


def test_a_post_without_the_csrf_token_is_refused(users: dict[str, Page]) -> None:
    producer = users["producer"]
    producer.goto("/yards")
    before = producer.locator("#yards-table tbody tr").count()
    response = producer.request.post(
        "/yards", form={"name": "无令牌堆场", "lat": "25.0", "lon": "102.7"}, max_redirects=0
    )
    assert response.status == 403
    assert "csrf_token" in response.text()
    producer.goto("/yards")
    expect(producer.locator("#yards-table tbody tr")).to_have_count(before)
