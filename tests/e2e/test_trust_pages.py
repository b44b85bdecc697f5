"""The pages of trusted figures over plain HTTP against a live demo server (SQLite, and
PostgreSQL when it answers): a producer submits its months and sees why one came back, a
regulator reviews, approves and returns months and decides corrections, an evaluator attests its
producers' claims, and a disputed delivery is settled by proposals and arbitration. Refused forms
come back in Chinese with what was typed; every form needs its CSRF token; a foreign yard's months
do not exist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from tests.support.api import GOOD_ASSAY, post_buying_plant, post_lot, selling
from tests.support.live import LiveServer
from tests.support.sessions import Session, field_error, input_value

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
USERS = ("producer-demo", "producer-other", "recycler-demo", "regulator-demo", "evaluator-demo")


@pytest.fixture(scope="module")
def who(live_server_any: LiveServer) -> Iterator[dict[str, Session]]:
    sessions = {u.removesuffix("-demo"): Session(live_server_any, u) for u in USERS}
    yield sessions
    for s in sessions.values():
        s.close()


def alerts(html: str) -> list[str]:
    return re.findall(r'role="alert"[^>]*>([^<]+)<', html)


def month_row(html: str, period: str) -> str:
    found = re.search(rf'<tr data-period="{period}"[^>]*>.*?</tr>', html, re.S)
    assert found, f"no row for {period}"
    return found.group(0)


def queue_report(regulator: Session, site_id: int, status: str = "submitted") -> tuple[int, str]:
    """The id and month of the oldest report of a yard in a queue."""
    page = regulator.get(f"/review/reports?status={status}")
    assert page.status_code == 200
    found = re.search(
        rf'data-report="(\d+)" data-site="{site_id}" data-period="([\d-]+)"', page.text
    )
    assert found, f"no {status} report of site {site_id}"
    return int(found.group(1)), found.group(2)


def locked_month(producer: Session, site_id: int) -> str:
    page = producer.get(f"/yards/{site_id}/reports").text
    return re.findall(r'data-period="([\d-]+)" data-status="approved"', page)[0]


# ----------------------------------------------------------------------------- the producer


def test_the_producer_submits_the_next_ended_month_from_its_page(who):
    producer = who["producer"]
    entry = producer.get("/reports")
    assert entry.status_code == 303 and entry.headers["location"] == "/yards/1/reports"
    page = producer.get("/yards/1/reports")
    assert page.status_code == 200
    assert "月报" in page.text and "报送截止" in page.text
    period = input_value(page.text, "period")
    assert period is not None and period < f"{date.today():%Y-%m}"

    done = producer.post("/yards/1/reports", {"period": period})
    assert done.status_code == 303 and done.headers["location"] == "/yards/1/reports"
    row = month_row(producer.get("/yards/1/reports").text, period)
    assert 'data-status="submitted"' in row and "已报送" in row


def test_a_month_not_yet_ended_is_refused_in_chinese_and_nothing_is_submitted(who):
    producer = who["producer"]
    this_month = f"{date.today():%Y-%m}"
    page = producer.post("/yards/1/reports", {"period": this_month})
    assert page.status_code == 409
    assert any("尚未结束" in a and this_month in a for a in alerts(page.text)), alerts(page.text)
    assert 'data-status="open"' in month_row(page.text, this_month)


def test_a_returned_month_shows_its_reason_and_the_producer_resubmits_it(who):
    regulator, producer = who["regulator"], who["producer"]
    report_id, period = queue_report(regulator, 1)
    reason = "外运量与转移联单合计不符（测试）"

    empty = regulator.post(f"/review/reports/{report_id}/return", {"reason": ""})
    assert empty.status_code == 422
    assert "原因（reason）：必填" in field_error(empty.text, "return-reason")

    back = regulator.post(f"/review/reports/{report_id}/return", {"reason": reason})
    assert back.status_code == 303 and back.headers["location"] == "/review/reports"

    page = producer.get("/yards/1/reports").text
    row = month_row(page, period)
    assert 'data-status="returned"' in row and "退回原因" in row and reason in row
    # the earliest month not locked is offered again
    assert input_value(page, "period") == period
    again = producer.post("/yards/1/reports", {"period": period})
    assert again.status_code == 303
    row = month_row(producer.get("/yards/1/reports").text, period)
    assert 'data-status="submitted"' in row and "重新报送" in row


def test_another_producer_sees_its_own_returned_month_and_not_a_foreign_yard(who):
    other = who["producer-other"]
    mine = other.get("/reports")
    assert mine.status_code == 303
    page = other.get(mine.headers["location"]).text
    assert 'data-status="returned"' in page and "示例" in page  # the demo's returned month

    assert other.get("/yards/1/reports").status_code == 404
    assert other.post("/yards/1/reports", {"period": "2026-01"}).status_code == 404
    foreign = other.post(
        "/yards/1/corrections",
        {"period": "2026-01", "material": "phosphogypsum", "kind": "generation", "tonnes": "1"},
    )
    assert foreign.status_code in (404, 422)
    assert "1" not in re.findall(r'data-correction="(\d+)"', foreign.text)
    assert who["producer"].get("/review/reports").status_code == 403
    assert who["evaluator"].get("/review/reports").status_code == 403


def test_every_form_needs_its_csrf_token(who):
    producer, regulator = who["producer"], who["regulator"]
    period = input_value(producer.get("/yards/1/reports").text, "period") or "2026-01"
    assert producer.http.post("/yards/1/reports", data={"period": period}).status_code == 403
    bad = {"period": period, "csrf_token": "not-the-token"}
    assert producer.http.post("/yards/1/reports", data=bad).status_code == 403
    report_id, _ = queue_report(regulator, 3)
    for action in ("approve", "return"):
        refused = regulator.http.post(f"/review/reports/{report_id}/{action}", data={"reason": "x"})
        assert refused.status_code == 403
    assert regulator.http.post("/review/claims/1/attest", data={}).status_code == 403
    # nothing moved
    assert queue_report(regulator, 3)[0] == report_id


def test_a_refused_ledger_entry_keeps_what_was_typed_and_the_uploaded_evidence(who):
    producer = who["producer"]
    locked = locked_month(producer, 1)
    typed = {
        "kind": "utilisation",
        "material": "phosphogypsum",
        "tonnes": "123.5",
        "occurred_on": f"{locked}-05",
        "document": "自用记录-测试",
    }
    files = {"evidence_file": ("own-use.pdf", PDF, "application/pdf")}
    page = producer.http.post("/ledger/1", data={"csrf_token": producer.csrf, **typed}, files=files)
    assert page.status_code == 422
    message = field_error(page.text, "occurred_on")
    assert "属于" in message and locked in message and "已通过（approved）" in message
    assert [input_value(page.text, k) for k in ("tonnes", "occurred_on", "document")] == [
        "123.5",
        f"{locked}-05",
        "自用记录-测试",
    ]
    evidence = re.search(r'name="evidence" value="(\d+)"', page.text)
    assert evidence, "the uploaded document is kept for the next try"

    # without the file, own use is refused; with the kept document it is recorded
    today = date.today().isoformat()
    bare = producer.post("/ledger/1", typed | {"occurred_on": today, "evidence": ""})
    assert bare.status_code == 422
    assert "必须附证明材料" in field_error(bare.text, "evidence")
    ok = producer.post(
        "/ledger/1",
        typed | {"occurred_on": date.today().isoformat(), "evidence": evidence.group(1)},
    )
    assert ok.status_code == 303, alerts(ok.text)


# ----------------------------------------------------------------------------- the regulator


def test_the_regulator_reviews_a_month_and_approves_it(who):
    regulator = who["regulator"]
    report_id, period = queue_report(regulator, 3)
    page = regulator.get(f"/review/reports/{report_id}")
    assert page.status_code == 200
    assert "与上月相比的变化" in page.text and "本月台账条目" in page.text
    assert re.search(r'<tr class="kind-\w+" data-seq="\d+">', page.text), "the month's entries"
    assert 'id="approve-form"' in page.text and 'id="return-form"' in page.text

    done = regulator.post(f"/review/reports/{report_id}/approve", {"note": "核对无误"})
    assert done.status_code == 303 and done.headers["location"] == "/review/reports"
    row = month_row(regulator.get("/yards/3/reports").text, period)
    assert 'data-status="approved"' in row and "regulator-demo" in row
    seal = regulator.get(f"/api/v1/reports/{report_id}/seal")  # the page links the seal
    assert f'href="/api/v1/reports/{report_id}/seal"' in row and seal.status_code == 200
    assert seal.json()["period"] == period
    # approved is final: the forms are gone and a second approval is refused in Chinese
    assert 'id="approve-form"' not in regulator.get(f"/review/reports/{report_id}").text
    twice = regulator.post(f"/review/reports/{report_id}/approve", {"note": ""})
    assert twice.status_code == 422
    assert any("不是待审核的已报送状态" in a for a in alerts(twice.text)), alerts(twice.text)


def test_the_overdue_list_names_the_late_months(who):
    page = who["regulator"].get("/review/reports?status=overdue")
    assert page.status_code == 200
    # the demo's returned month is past its due day and not resubmitted
    assert re.search(r'data-report="" data-site="2" data-period="[\d-]+"', page.text)
    assert who["regulator"].get("/review/reports?status=lost").status_code == 422


def test_a_correction_asked_with_evidence_and_approved_restates_the_month(who):
    producer, regulator = who["producer"], who["regulator"]
    locked = locked_month(producer, 1)
    typed = {
        "period": locked,
        "material": "phosphogypsum",
        "kind": "generation",
        "tonnes": "0",
        "reason": "补录两车过磅单（测试）",
    }
    zero = producer.post("/yards/1/corrections", typed)
    assert zero.status_code == 422
    assert "更正量不能为 0" in field_error(zero.text, "correction-tonnes")
    assert input_value(zero.text, "reason") == typed["reason"]

    asked = producer.http.post(
        "/yards/1/corrections",
        data={"csrf_token": producer.csrf, **typed, "tonnes": "-12.5"},
        files={"evidence_file": ("weighbridge.pdf", PDF, "application/pdf")},
    )
    assert asked.status_code == 303, alerts(asked.text)
    queue = regulator.get("/review/corrections").text
    found = re.search(
        rf'data-correction="(\d+)" data-site="1" data-period="{locked}" data-status="pending"',
        queue,
    )
    assert found
    correction = found.group(1)
    assert "补录两车过磅单（测试）" in queue and "/api/v1/documents/" in queue

    refused = regulator.post(f"/review/corrections/{correction}/reject", {"reason": ""})
    assert refused.status_code == 422
    approved = regulator.post(f"/review/corrections/{correction}/approve", {"note": "同意"})
    assert approved.status_code == 303

    table = regulator.get(f"/audit/phosphogypsum?period={locked}").text
    row = re.search(r'<tr data-organisation="1".*?</tr>', table, re.S)
    assert row
    assert 'data-flag="restated"' in row.group(0)
    assert "producer-demo" in row.group(0) and "regulator-demo" in row.group(0)
    assert "补录两车过磅单（测试）" in row.group(0)
    assert 'data-report-status="' in row.group(0) and "data-claimed-unattested" in row.group(0)


# ----------------------------------------------------------------------------- the evaluator


def test_the_evaluator_attests_a_claim_of_a_producer_it_evaluates(who):
    evaluator = who["evaluator"]
    page = evaluator.get("/review/claims")
    assert page.status_code == 200 and "自报量认定" in page.text
    claims = re.findall(r'id="attest-(\d+)"', page.text)
    assert claims, "the demo's pending own-use claim"
    entry = claims[0]

    no_note = evaluator.post(f"/review/claims/{entry}/attest", {"decision": "rejected"})
    assert no_note.status_code == 422
    assert any("备注（note）：必填" in a for a in alerts(no_note.text))

    done = evaluator.post(
        f"/review/claims/{entry}/attest", {"decision": "attested", "note": "现场核查"}
    )
    assert done.status_code == 303
    assert f'id="attest-{entry}"' not in evaluator.get("/review/claims").text
    attested = evaluator.get("/review/claims?status=attested").text
    assert f'data-entry="{entry}"' in attested and "现场核查" in attested


# ----------------------------------------------------------------------------- disputes


def _disputed_delivery(server: LiveServer) -> tuple[int, int]:
    """A contract and a delivery the recycler weighed 10 % short, made through the API."""
    clients = {r: server.client(server.token(f"{r}-demo")) for r in ("producer", "recycler")}
    clients["operator"] = server.client(server.token("operator-demo"))
    producer, recycler, operator = clients["producer"], clients["recycler"], clients["operator"]
    try:
        post_lot(producer, 1, 1000, quality=GOOD_ASSAY, lab_report="TRUST-PAGES-1", **selling())
        _, offer = post_buying_plant(recycler, "争议测试工厂", 1000)
        run = operator.post("/api/v1/match-runs", json={})
        assert run.status_code == 201, run.text
        # the run gives the new plant a lot of producer-demo's, this one or an older one
        proposal = next(
            p
            for p in run.json()["proposals"]
            if p["offer_id"] == offer["id"] and p["producer_id"] == 1
        )
        bid = recycler.post(
            f"/api/v1/proposals/{proposal['id']}/bids",
            json={"price_cny_t": 18, "tonnes": proposal["tonnes"]},
        )
        assert bid.status_code == 201, bid.text
        contract = producer.post(f"/api/v1/bids/{bid.json()['id']}/accept")
        assert contract.status_code == 201, contract.text
        delivery = producer.post(
            f"/api/v1/contracts/{contract.json()['id']}/deliveries",
            json={"tonnes": 100, "manifest_no": "TRUST-PAGES-M1", "truck_plate": "云A·12345"},
        )
        assert delivery.status_code == 201, delivery.text
        receipt = recycler.post(
            f"/api/v1/deliveries/{delivery.json()['id']}/receipt", json={"received_tonnes": 90}
        )
        assert receipt.status_code == 201 and receipt.json()["status"] == "disputed"
        return contract.json()["id"], delivery.json()["id"]
    finally:
        for c in clients.values():
            c.close()


def test_a_disputed_delivery_is_proposed_on_by_both_parties_and_arbitrated(who, live_server_any):
    contract_id, delivery_id = _disputed_delivery(live_server_any)
    producer, recycler, regulator = who["producer"], who["recycler"], who["regulator"]

    for party in (producer, recycler):
        page = party.get(f"/contracts/{contract_id}")
        assert page.status_code == 200 and f'id="resolve-{delivery_id}"' in page.text

    too_much = recycler.post(
        f"/deliveries/{delivery_id}/resolve", {"accepted_tonnes": "150", "note": "整车"}
    )
    assert too_much.status_code == 422
    assert "超过上限" in field_error(too_much.text, f"resolve-{delivery_id}-accepted_tonnes")
    assert input_value(too_much.text, "note") == "整车"

    assert (
        producer.post(f"/deliveries/{delivery_id}/resolve", {"accepted_tonnes": "98"}).status_code
        == 303
    )
    assert (
        recycler.post(f"/deliveries/{delivery_id}/resolve", {"accepted_tonnes": "92"}).status_code
        == 303
    )
    page = regulator.get("/review/disputes").text
    dispute = re.search(rf'<div class="dispute" id="dispute-{delivery_id}".*?</form>', page, re.S)
    assert dispute, "the regulator sees the dispute with both proposals"
    assert "98.000 t" in dispute.group(0) and "92.000 t" in dispute.group(0)

    decided = regulator.post(
        f"/review/disputes/{delivery_id}/arbitrate", {"settled_tonnes": "95", "note": "取中"}
    )
    assert decided.status_code == 303
    assert f'id="dispute-{delivery_id}"' not in regulator.get("/review/disputes").text
    with httpx.Client(base_url=live_server_any.url) as anon:
        assert anon.get("/review/disputes", follow_redirects=False).status_code in (303, 401)
