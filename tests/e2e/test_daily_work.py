"""Each role's day starts from its to-do (待办) in a real browser: the producer accepts a bid from
its to-do, the recycler confirms a receipt from its to-do on a 390 px wide phone, the regulator
opens a report to review from its to-do; the header's bell counts what is new."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import log_in_page
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

WAIT_MS = 20_000
PHONE = {"width": 390, "height": 844}


def open_as(browser: Browser, server: LiveServer, username: str, viewport=None) -> Page:
    context = browser.new_context(
        base_url=server.url,
        viewport=viewport or {"width": 1400, "height": 900},
        locale="zh-CN",
        is_mobile=viewport is not None,
        has_touch=viewport is not None,
    )
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in_page(page, server, username)
    return page


@pytest.fixture(scope="module")
def bid(live_server: LiveServer) -> Iterator[dict[str, int]]:
    """A match run, and recycler-demo's bid on one of producer-demo's lots, through the API."""
    operator = live_server.token("operator-demo")
    producer = live_server.token("producer-demo")
    recycler = live_server.token("recycler-demo")
    with live_server.client(operator) as c:
        run = c.post("/api/v1/match-runs", json={})
        assert run.status_code in (201, 202), run.text
    with live_server.client(producer) as c:
        theirs = {p["id"] for p in c.get("/api/v1/proposals").json()["proposals"]}
    with live_server.client(recycler) as c:
        mine = [p for p in c.get("/api/v1/proposals").json()["proposals"] if p["id"] in theirs]
        assert mine, "the demo's match run proposes none of producer-demo's lots to recycler-demo"
        placed = c.post(
            f"/api/v1/proposals/{mine[0]['id']}/bids", json={"price_cny_t": 8, "tonnes": 600}
        )
        assert placed.status_code == 201, placed.text
    yield {"bid": placed.json()["id"], "producer_token": producer}


def todo_item(page: Page, kind: str):
    return page.locator(f"#todo .todo-item[data-kind={kind}]")


def test_the_producer_accepts_a_bid_from_its_to_do(
    browser: Browser, live_server: LiveServer, bid: dict[str, int]
) -> None:
    page = open_as(browser, live_server, "producer-demo")
    expect(page.locator("#todo h1")).to_have_text("待办")
    item = todo_item(page, "bid_to_decide")
    expect(item).to_contain_text("1")
    expect(item).to_contain_text("待决定的投标")
    # the header counts the to-do and the new bid's notification on every page
    expect(page.locator("#daily-badge .bell b")).to_have_text(re.compile(r"[1-9]\d*"))
    expect(page.locator("#yunnan-map")).to_be_visible()  # the map stays, below the to-do
    item.locator("a").click()
    page.wait_for_url(re.compile(r"/bids$"))
    page.click(f"form[action='/bids/{bid['bid']}/accept'] button")
    page.wait_for_url(re.compile(r"/contracts/\d+$"))
    contract_id = int(page.url.rsplit("/", 1)[1])
    bid["contract"] = contract_id
    page.goto("/")
    expect(todo_item(page, "bid_to_decide")).to_have_count(0)
    expect(todo_item(page, "dispatch_due")).to_contain_text("尚有吨数待发运的合同")
    page.context.close()


def test_the_recycler_confirms_a_receipt_from_its_to_do_on_a_phone(
    browser: Browser, live_server: LiveServer, bid: dict[str, int]
) -> None:
    assert "contract" in bid, "runs after the producer accepted the bid"
    with live_server.client(bid["producer_token"]) as c:
        sent = c.post(
            f"/api/v1/contracts/{bid['contract']}/deliveries",
            json={"tonnes": 30, "manifest_no": "530181-DAILY-0001", "truck_plate": "云A00001"},
        )
        assert sent.status_code == 201, sent.text
    delivery_id = sent.json()["id"]

    page = open_as(browser, live_server, "recycler-demo", viewport=PHONE)
    expect(todo_item(page, "receipt_to_confirm")).to_contain_text("待确认收货")
    # the bid accepted and the truck on its way are both news to the recycler
    unread = int(page.locator("#daily-badge .bell b").inner_text())
    assert unread >= 2
    todo_item(page, "receipt_to_confirm").locator("a").tap()
    page.wait_for_url(re.compile(r"/receipts"))
    form = page.locator(f"#receipt-{delivery_id}")
    form.locator("input[name=received_tonnes]").fill("29.8")
    form.locator("button[type=submit]").tap()
    expect(page.locator(f"#receipt-{delivery_id}")).to_have_count(0)
    page.goto("/")
    expect(todo_item(page, "receipt_to_confirm")).to_have_count(0)

    # the notification of the dispatch opens the receipts page and is read from then on
    page.goto("/notifications")
    note = page.locator(".notification[data-kind=delivery_dispatched]").first
    expect(note).to_contain_text("530181-DAILY-0001")
    expect(note).to_have_class(re.compile(r"\bunread\b"))
    note.locator("form[action$='/open'] button").tap()
    page.wait_for_url(re.compile(r"/receipts$"))
    page.goto("/notifications")
    expect(page.locator(".notification[data-kind=delivery_dispatched]").first).not_to_have_class(
        re.compile(r"\bunread\b")
    )
    page.context.close()


def test_the_regulator_opens_a_report_to_review_from_its_to_do(
    browser: Browser, live_server: LiveServer
) -> None:
    page = open_as(browser, live_server, "regulator-demo")
    item = todo_item(page, "report_to_review")
    expect(item).to_contain_text("待审核的月报")
    item.locator("a").click()
    page.wait_for_url(re.compile(r"/review/reports"))
    page.locator("a[href^='/review/reports/']").first.click()
    page.wait_for_url(re.compile(r"/review/reports/\d+$"))
    expect(page.locator("form[action$='/approve']")).to_be_visible()
    page.context.close()


def test_the_api_answers_the_to_do_and_notifications_and_only_their_owner_marks_one_read(
    live_server: LiveServer, bid: dict[str, int]
) -> None:
    recycler = live_server.token("recycler-demo")
    other = live_server.token("recycler-other")
    with live_server.client(recycler) as c:
        todo = c.get("/api/v1/todo")
        assert todo.status_code == 200
        for item in todo.json()["items"]:
            assert set(item) == {"kind", "count", "url", "title"} and item["count"] >= 1
        listed = c.get("/api/v1/notifications?unread=1&limit=5").json()
        assert listed["unread"] >= 1 and len(listed["notifications"]) <= 5
        first = listed["notifications"][0]
        assert set(first) >= {"id", "kind", "title", "url", "created_at", "read_at"}
        with live_server.client(other) as stranger:
            assert stranger.post(f"/api/v1/notifications/{first['id']}/read").status_code == 404
        read = c.post(f"/api/v1/notifications/{first['id']}/read")
        assert read.status_code == 200 and read.json()["read_at"]
        after = c.get("/api/v1/notifications").json()["unread"]
        assert after == listed["unread"] - 1
        assert c.get("/api/v1/notifications?colour=red").status_code == 422


def test_a_user_chooses_which_notifications_come_by_mail(
    browser: Browser, live_server: LiveServer
) -> None:
    page = open_as(browser, live_server, "producer-demo")
    page.goto("/account/notifications")
    expect(page.locator("h1")).to_have_text("邮件通知")
    page.uncheck("input[name=mail_kinds][value=bid_placed]")
    page.select_option("select[name=lang]", "en")
    page.click("form.prefs button[type=submit]")
    page.wait_for_url(re.compile(r"/account/notifications\?done=1$"))
    expect(page.locator("input[name=mail_kinds][value=bid_placed]")).not_to_be_checked()
    expect(page.locator("input[name=mail_kinds][value=report_returned]")).to_be_checked()
    expect(page.locator("select[name=lang]")).to_have_value("en")
    page.context.close()
