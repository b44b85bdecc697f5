"""The papers against a live demo server: a contract made through the API, a day's trucks
entered on the contract page, the manifest PDF's QR code read back and followed on a 390 px
phone by the recycler's weighbridge clerk, who confirms the tonnes with a photo of the ticket;
the printable 台账 and its workbook; a lot's lab report shown to a recycler."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from tests.support.api import GOOD_ASSAY, first_site, post_buying_plant, post_lot, selling
from tests.support.browser import logged_in_page
from tests.support.builders import PNG
from tests.support.live import LiveServer
from tests.support.sessions import Session

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def trucks(*rows: tuple[str, str, str]) -> dict[str, str]:
    """The trucks form's fields: plate_N, driver_N and tonnes_N of each (plate, driver, tonnes)."""
    return {
        f"{field}_{n}": value
        for n, row in enumerate(rows, 1)
        for field, value in zip(("plate", "driver", "tonnes"), row, strict=True)
    }


@pytest.fixture(scope="module")
def deal(live_server: LiveServer) -> Iterator[dict[str, Any]]:
    """A fresh contract between the demo producer and the demo recycler, made through the API."""
    api = {
        role: live_server.client(live_server.token(f"{role}-demo"))
        for role in ("producer", "recycler", "operator")
    }
    producer, recycler = api["producer"], api["recycler"]
    yard = first_site(producer)
    lot = post_lot(producer, yard["id"], 400, quality=GOOD_ASSAY, **selling())
    _, offer = post_buying_plant(recycler, "Papers weighbridge plant", 400)
    run = api["operator"].post("/api/v1/match-runs", json={}).json()
    proposal = next(p for p in run["proposals"] if p["lot_id"] == lot["id"])
    assert proposal["offer_id"] == offer["id"]
    bid = recycler.post(
        f"/api/v1/proposals/{proposal['id']}/bids",
        json={"price_cny_t": -6, "tonnes": proposal["tonnes"]},
    ).json()
    contract = producer.post(f"/api/v1/bids/{bid['id']}/accept").json()
    yield {"api": api, "yard": yard, "lot": lot, "contract": contract}
    for c in api.values():
        c.close()


def qr_of(pdf: bytes) -> list[str]:
    doc = pypdfium2.PdfDocument(pdf)
    return [
        r.text
        for i in range(len(doc))
        for r in zxingcpp.read_barcodes(doc[i].render(scale=2).to_pil())
    ]


def test_the_contract_page_dispatches_a_days_trucks_and_defaults_to_one_trucks_load(
    live_server: LiveServer, deal: dict[str, Any]
) -> None:
    with Session(live_server, "producer-demo") as producer:
        cid = deal["contract"]["id"]
        page = producer.get(f"/contracts/{cid}").text
        tonnes = re.search(r'name="tonnes"[^>]*value="([^"]+)"', page)
        assert tonnes and float(tonnes.group(1)) == 35  # one truck, not the whole contract
        assert f"/api/v1/contracts/{cid}/contract.pdf" in page
        refused = producer.post(
            f"/contracts/{cid}/trucks",
            trucks(("云A·T1", "张三", "35"), ("云A·T2", "李四", "99999")),
        )
        assert refused.status_code == 422
        assert "trucks[1]" in refused.text and 'value="张三"' in refused.text
        assert producer.get(f"/api/v1/contracts/{cid}").json()["dispatched_t"] == 0
        ok = producer.post(
            f"/contracts/{cid}/trucks",
            trucks(("云A·T1", "张三", "35"), ("云A·T2", "李四", "34.2")),
        )
        assert ok.status_code == 303
        c = producer.get(f"/api/v1/contracts/{cid}").json()
        assert c["dispatched_t"] == pytest.approx(69.2)
        # one truck through the single form names its driver on the manifest too
        one = producer.post(
            f"/contracts/{cid}/dispatch",
            {
                "manifest_no": "530181-ONE-0001",
                "tonnes": "30",
                "truck_plate": "云A·ONE",
                "driver": "赵大勇",
                "idempotency_key": "papers-one-truck",
            },
        )
        assert one.status_code == 303, one.text[-300:]
        rows = producer.get(f"/api/v1/contracts/{cid}").json()["deliveries"]
        single = next(d for d in rows if d["manifest_no"] == "530181-ONE-0001")
        pdf = producer.get(f"/api/v1/deliveries/{single['id']}/manifest.pdf").content
        text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
        assert "赵大勇" in text and "云A·ONE" in text


def test_from_the_manifests_qr_code_the_recycler_confirms_a_receipt_with_a_ticket_photo_on_a_phone(
    live_server: LiveServer, deal: dict[str, Any], browser: Browser
) -> None:
    api = deal["api"]
    made = api["producer"].post(
        f"/api/v1/contracts/{deal['contract']['id']}/trucks",
        json={
            "trucks": [
                {
                    "truck_plate": "云A·QR1",
                    "driver": "王建国",
                    "tonnes": 35,
                    "manifest_no": "530181-QR-0001",
                }
            ],
        },
    )
    assert made.status_code == 201, made.text
    delivery = made.json()["deliveries"][0]
    pdf = api["producer"].get(f"/api/v1/deliveries/{delivery['id']}/manifest.pdf")
    assert pdf.status_code == 200
    urls = qr_of(pdf.content)
    assert urls and set(urls) == {f"{live_server.url}/deliveries/{delivery['id']}/receipt"}
    path = urls[0].removeprefix(live_server.url)

    with logged_in_page(
        browser, live_server, "recycler-demo", path, wait_ms=20_000, viewport=PHONE
    ) as page:
        expect(page.locator(".manifest-no")).to_have_text("530181-QR-0001")
        form = page.locator("#weighbridge-form")
        box = form.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        # a spreadsheet named like a photo is refused by its content; nothing is received
        page.fill("input[name=received_tonnes]", "34.8")
        page.set_input_files(
            "input[name=ticket_file]",
            files=[
                {"name": "ticket.jpg", "mimeType": "image/jpeg", "buffer": b"PK\x03\x04 no picture"}
            ],
        )
        page.click("#weighbridge-form button[type=submit]")
        expect(
            page.locator("#weighbridge-form .form-error, #weighbridge-form [role=alert]").first
        ).to_contain_text("ticket")
        assert (
            api["recycler"].get(f"/api/v1/contracts/{deal['contract']['id']}").json()["received_t"]
            == 0
        )
        page.fill("input[name=received_tonnes]", "34.8")
        page.set_input_files(
            "input[name=ticket_file]",
            files=[{"name": "ticket.png", "mimeType": "image/png", "buffer": PNG}],
        )
        page.click("#weighbridge-form button[type=submit]")
        expect(page.locator("#received-t")).to_contain_text("34.8")
        expect(page.locator("#ticket a")).to_have_text("ticket.png")
    ticket = api["producer"].get(f"/api/v1/deliveries/{delivery['id']}/ticket")
    assert ticket.status_code == 200 and ticket.content == PNG
    # the manifest now carries the weighbridge's figure
    again = api["recycler"].get(f"/api/v1/deliveries/{delivery['id']}/manifest.pdf").content
    doc = pypdfium2.PdfDocument(again)
    assert "34.8 吨" in doc[0].get_textpage().get_text_range()


def test_the_printable_statutory_ledger_and_its_workbook_show_the_same_generation(
    live_server: LiveServer, deal: dict[str, Any]
) -> None:
    with Session(live_server, "producer-demo") as producer:
        yard = deal["yard"]["id"]
        year = date.today().year - 1
        page = producer.get(f"/yards/{yard}/statutory?year={year}")
        assert page.status_code == 200
        assert "表2 一般工业固体废物流向汇总表" in page.text
        shown = re.search(r'data-key="total-generated_t"><strong>([\d,.]+)<', page.text)
        assert shown
        book = producer.get(f"/api/v1/sites/{yard}/statutory-ledger.xlsx?year={year}")
        assert book.status_code == 200
        ws = load_workbook(io.BytesIO(book.content))["表2"]
        headers = [c.value for c in ws[3]]
        total = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[1] == "合计")
        generated = total[headers.index("产生量（吨）")]
        assert float(shown.group(1).replace(",", "")) == pytest.approx(generated, abs=0.001)
        assert generated > 0
        with Session(live_server, "producer-other") as other:
            assert other.get(f"/yards/{yard}/statutory?year={year}").status_code == 404


def test_a_lots_lab_report_is_shown_to_a_recycler_who_considers_the_lot(
    live_server: LiveServer, deal: dict[str, Any]
) -> None:
    api = deal["api"]
    lot = deal["lot"]["id"]
    pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
    doc = api["producer"].post(
        "/api/v1/documents", files={"file": ("assay-2026-118.pdf", pdf, "application/pdf")}
    )
    assert doc.status_code == 201
    attached = api["producer"].post(
        f"/api/v1/lots/{lot}/lab-report", json={"document": doc.json()["id"]}
    )
    assert attached.status_code == 200, attached.text
    with Session(live_server, "recycler-demo") as recycler:
        panel = recycler.get(f"/lots/{lot}/lab-report").text
        assert "assay-2026-118.pdf" in panel
        assert recycler.get(f"/api/v1/lots/{lot}/lab-report").content == pdf
    with Session(live_server, "producer-other") as other:
        assert other.get(f"/api/v1/lots/{lot}/lab-report").status_code == 404
