"""Lists people can work with, over real HTTP on the demo data (SQLite and PostgreSQL): paged in
the database with totals, filtered by status, material and date, the filters kept in the pager's
links; the receipts page past its old 50 rows; the ledger's running stock and its export; the
proposals' sortable summary; the match run's two lists paged apart; limits past the maximum
refused."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from tests.support.live import LiveServer
from tests.support.sessions import Session


@pytest.fixture(scope="module")
def who(live_server_any: LiveServer) -> Iterator[dict[str, Session]]:
    sessions = {
        role: Session(live_server_any, f"{role}-demo")
        for role in ("producer", "recycler", "operator")
    }
    started = sessions["operator"].post("/match-runs", {})
    assert started.status_code == 303, started.text[-300:]
    sessions["run"] = started.headers["location"]  # type: ignore[assignment]
    yield sessions
    for name, s in sessions.items():
        if name != "run":
            s.close()


def pager(html: str, section: str = "") -> dict[str, int]:
    """The figures of a page's pager (the first, or the one inside `section`'s element)."""
    if section:
        html = html[html.index(f'id="{section}"') :]
    found = re.search(
        r'class="pager"[^>]*data-total="(\d+)" data-page="(\d+)" data-pages="(\d+)"', html
    )
    assert found, "no pager"
    return dict(zip(("total", "page", "pages"), map(int, found.groups()), strict=True))


def links(html: str, rel: str) -> list[str]:
    return [u.replace("&amp;", "&") for u in re.findall(rf'<a href="([^"]+)" rel="{rel}"', html)]


def every_row(client, path: str, key: str, **params: str) -> list[dict]:
    """Every row a list answers, page after page of 1000 (the demo has more deliveries)."""
    rows: list[dict] = []
    while True:
        got = client.get(path, params={**params, "limit": 1000, "offset": len(rows)}).json()
        assert got["total"] >= len(rows) + len(got[key]), path
        rows += got[key]
        if len(rows) == got["total"] or not got[key]:
            assert len(rows) == got["total"], path
            return rows


def test_the_receipts_page_lists_every_received_delivery_page_by_page(who):
    recycler = who["recycler"]
    api = recycler.get("/api/v1/deliveries", params={"status": "received", "limit": 1000}).json()
    expected = {d["id"] for d in api["deliveries"]}
    assert api["total"] == len(expected) > 50  # the demo recycler has more than the old 50
    first = recycler.get("/receipts").text
    figures = pager(first, "received")
    assert figures["total"] == len(expected) and figures["pages"] == -(-len(expected) // 50)
    seen: set[int] = set()
    for n in range(1, figures["pages"] + 1):
        html = recycler.get("/receipts", params={"received_page": n}).text
        received = html[html.index('id="received"') :]
        seen |= {int(i) for i in re.findall(r'<tr id="delivery-(\d+)"', received)}
    assert seen == expected


def test_a_limit_past_the_maximum_is_refused_and_named(who):
    producer = who["producer"]
    refused = producer.get("/api/v1/lots", params={"limit": 1001})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "limit"
    assert producer.get("/my/lots", params={"limit": 201}).status_code == 422
    assert producer.get("/my/lots", params={"page": 0}).status_code == 422
    assert producer.get("/my/lots", params={"from": "yesterday"}).status_code == 422
    assert who["recycler"].get("/proposals", params={"sort": "colour"}).status_code == 422
    assert producer.get("/api/v1/lots", params={"limit": 1000}).status_code == 200


def test_api_lists_answer_their_totals_whatever_the_page(who):
    operator = who["operator"]
    for path, key in [
        ("/api/v1/lots", "lots"),
        ("/api/v1/offers", "offers"),
        ("/api/v1/contracts", "contracts"),
        ("/api/v1/deliveries", "deliveries"),
        ("/api/v1/proposals", "proposals"),
        ("/api/v1/bids", "bids"),
    ]:
        everything = operator.get(path, params={"limit": 1000}).json()
        # the demo's deliveries (its last day truck by truck) are more than one page of 1000
        assert len(everything[key]) == min(everything["total"], 1000), path
        page = operator.get(path, params={"limit": 3, "offset": 2}).json()
        assert page["total"] == everything["total"], path
        assert [r["id"] for r in page[key]] == [r["id"] for r in everything[key][2:5]], path


def test_contracts_filter_by_status_material_and_date_in_the_database(who):
    operator = who["operator"]
    every = operator.get("/api/v1/contracts", params={"limit": 1000}).json()["contracts"]
    material = every[0]["material"]
    day = every[0]["created_at"][:10]
    for params, keep in [
        ({"material": material}, lambda c: c["material"] == material),
        ({"status": "completed"}, lambda c: c["status"] == "completed"),
        (
            {"status": "active", "material": material},
            lambda c: c["status"] == "active" and c["material"] == material,
        ),
    ]:
        got = operator.get("/api/v1/contracts", params={**params, "limit": 1000}).json()
        assert [c["id"] for c in got["contracts"]] == [c["id"] for c in every if keep(c)], params
        assert got["total"] == len(got["contracts"])
    later = operator.get("/api/v1/contracts", params={"from": "2999-01-01"}).json()
    assert later["total"] == 0 and later["contracts"] == []
    upto = operator.get("/api/v1/contracts", params={"to": day, "limit": 1000}).json()
    assert every[0]["id"] in {c["id"] for c in upto["contracts"]}


def test_the_pager_keeps_the_filters_and_ends_on_a_short_last_page(who):
    operator = who["operator"]
    every = operator.get("/api/v1/contracts", params={"limit": 1000}).json()
    material = every["contracts"][0]["material"]
    total = operator.get("/api/v1/contracts", params={"material": material}).json()["total"]
    html = operator.get("/contracts", params={"material": material, "limit": 5}).text
    figures = pager(html)
    assert figures == {"total": total, "page": 1, "pages": -(-total // 5)}
    if figures["pages"] > 1:
        last = links(html, "last")[0]
        query = parse_qs(urlsplit(last).query)
        assert query["material"] == [material] and query["limit"] == ["5"]
        assert query["page"] == [str(figures["pages"])]
        tail = operator.get(last).text
        rows = re.findall(r'<td><a href="/contracts/\d+">', tail)
        assert len(rows) == total - 5 * (figures["pages"] - 1)
        assert not links(tail, "next")


def test_the_ledger_filters_by_material_kind_and_month_and_shows_the_running_stock(who):
    producer = who["producer"]
    site = producer.get("/api/v1/sites", params={"kind": "yard"}).json()["sites"][0]["id"]
    everything = producer.get(f"/api/v1/sites/{site}/ledger", params={"limit": 5000}).json()
    entries = everything["entries"]
    assert everything["total"] == len(entries)
    # newest first; each entry's stock is the one before it (in day order) plus its effect
    by_day = sorted(entries, key=lambda e: (e["occurred_on"], e["seq"]))
    stock: dict[str, float] = {}
    for e in by_day:
        stock[e["material"]] = stock.get(e["material"], 0.0) + e["stock_effect_t"]
        assert e["running_t"] == pytest.approx(stock[e["material"]], abs=0.01), e
    for material, balance in everything["balance_t"].items():
        assert stock[material] == pytest.approx(balance, abs=0.01)
    month = by_day[len(by_day) // 2]["occurred_on"][:7]
    kind = by_day[len(by_day) // 2]["kind"]
    material = by_day[len(by_day) // 2]["material"]
    chosen = producer.get(
        f"/api/v1/sites/{site}/ledger",
        params={"material": material, "kind": kind, "month": month, "limit": 5000},
    ).json()
    wanted = [
        e
        for e in entries
        if e["material"] == material and e["kind"] == kind and e["occurred_on"][:7] == month
    ]
    assert [e["id"] for e in chosen["entries"]] == [e["id"] for e in wanted]
    assert [e["running_t"] for e in chosen["entries"]] == [e["running_t"] for e in wanted]
    page = producer.get(
        "/ledger", params={"site": site, "material": material, "kind": kind, "month": month}
    ).text
    assert pager(page)["total"] == len(wanted)
    assert 'class="num running"' in page
    assert (
        producer.get(f"/api/v1/sites/{site}/ledger", params={"month": "2026-13"}).status_code == 422
    )


def test_the_ledger_exports_the_filtered_rows_as_csv_and_excel(who):
    producer = who["producer"]
    site = producer.get("/api/v1/sites", params={"kind": "yard"}).json()["sites"][0]["id"]
    params = {"site": site, "material": "phosphogypsum", "kind": "generation"}
    wanted = producer.get(
        f"/api/v1/sites/{site}/ledger",
        params={"material": "phosphogypsum", "kind": "generation", "limit": 5000},
    ).json()
    page = producer.get("/ledger", params=params).text
    assert 'href="/ledger/export.csv?site=' in page
    exported = producer.get("/ledger/export.csv", params=params)
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    body = [r for r in rows[1:] if r]
    assert len(body) == wanted["total"] > 0
    running = rows[0].index("结存（吨）")
    assert [float(r[running]) for r in body] == [e["running_t"] for e in wanted["entries"]]
    book = producer.get("/ledger/export.xlsx", params=params)
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet.max_row - 1 == wanted["total"]
    assert producer.get("/ledger/export.pdf", params=params).status_code == 404


def test_the_proposals_page_sorts_its_summary_and_pages_its_cards(who):
    recycler = who["recycler"]
    api = recycler.get("/api/v1/proposals", params={"limit": 1000}).json()
    assert api["total"] == len(api["proposals"]) > 0
    for sort, key, reverse in [
        ("distance", "road_km", False),
        ("-distance", "road_km", True),
        ("cost", "landed_cost_cny_t", False),
        ("tonnes", "tonnes", True),
    ]:
        html = recycler.get("/proposals", params={"sort": sort, "limit": 100}).text
        summary = html[
            html.index('id="proposal-summary"') : html.index(
                "</table>", html.index('id="proposal-summary"')
            )
        ]
        ids = [int(i) for i in re.findall(r'<tr data-proposal="(\d+)"', summary)]
        by_id = {p["id"]: p for p in api["proposals"]}
        values = [by_id[i][key] for i in ids]
        assert values == sorted(values, reverse=reverse), sort
        assert len(ids) == min(100, api["total"])
    small = recycler.get("/proposals", params={"limit": 1}).text
    assert len(re.findall(r'<section class="card proposal"', small)) == 1
    assert pager(small)["total"] == api["total"]


def test_the_match_run_pages_its_proposals_and_its_unmatched_lots_apart(who):
    operator = who["operator"]
    run_path = who["run"]
    run = operator.get(f"/api/v1{run_path}", params={"limit": 2, "unmatched_limit": 1}).json()
    assert len(run["proposals"]) == min(2, run["proposals_total"])
    assert len(run["unmatched"]) == min(1, run["unmatched_total"])
    html = operator.get(run_path, params={"limit": 2, "page": 2, "unmatched_page": 1}).text
    proposals = pager(html, "run-proposals")
    assert proposals["total"] == run["proposals_total"] and proposals["page"] == 2
    unmatched = pager(html, "run-unmatched")
    assert unmatched["total"] == run["unmatched_total"] and unmatched["page"] == 1
    # the unmatched list's next page keeps the proposals' page, and the other way round
    nxt = [u for u in links(html, "next") if "unmatched_page=2" in u]
    if run["unmatched_total"] > 2:
        assert nxt and "page=2" in nxt[0].replace("unmatched_page=2", "")


@pytest.mark.parametrize(
    ("path", "key", "statuses"),
    [
        ("/api/v1/lots", "lots", ("open", "reserved", "closed", "withdrawn")),
        ("/api/v1/offers", "offers", ("open", "full", "expired", "withdrawn")),
        ("/api/v1/bids", "bids", ("open", "on_hold", "accepted", "rejected", "withdrawn")),
        ("/api/v1/deliveries", "deliveries", ("dispatched", "received", "disputed")),
    ],
)
def test_a_status_filter_selects_in_the_database_what_each_row_says_it_is(who, path, key, statuses):
    operator = who["operator"]
    if key == "bids":  # the demo data has contracts but no bids: the recycler places two
        recycler = who["recycler"]
        for p in recycler.get("/api/v1/proposals", params={"limit": 2}).json()["proposals"]:
            placed = recycler.post(f"/proposals/{p['id']}/bid", {"price_cny_t": "8", "tonnes": "1"})
            assert placed.status_code == 303, placed.text[-300:]
    every = every_row(operator, path, key)
    assert every
    counted = 0
    for status in statuses:
        got = every_row(operator, path, key, status=status)
        assert [r["id"] for r in got] == [r["id"] for r in every if r["status"] == status]
        counted += len(got)
    assert counted == len(every)
    material = every[-1]["material"]
    got = every_row(operator, path, key, material=material)
    assert [r["id"] for r in got] == [r["id"] for r in every if r["material"] == material]


def test_the_plant_directory_is_paged_and_sums_each_plants_open_offers_by_material(who):
    recycler = who["recycler"]
    whole = recycler.get("/plants", params={"limit": 200}).text
    total = pager(whole)["total"]
    assert total == whole.count("<tr>") - 1 > 5  # every plant on one long page, less the header
    rows, offers = 0, 0
    url: str | None = "/plants?limit=5"
    while url:
        html = recycler.get(url).text
        figures = pager(html)
        assert figures["total"] == total and figures["pages"] == -(-total // 5)
        rows += html.count("<tr>") - 1
        offers += sum(map(int, re.findall(r'class="offer-line" data-offers="(\d+)"', html)))
        url = (links(html, "next") or [None])[0]
    assert rows == total
    # a recycler sees its own open offers, summed on their plants' rows, whatever the page
    own = recycler.get("/api/v1/offers", params={"status": "open", "limit": 200}).json()
    assert offers == own["total"] > 0
