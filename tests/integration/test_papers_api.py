"""The papers over HTTP (the app in process, real SQLite and PostgreSQL): the transfer manifest
PDF read back (its text and its QR code), the contract PDF, a day's trucks all or none, the
weighbridge ticket judged by content, and who may read any of it."""

from __future__ import annotations

import io
import re

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from tests.support import builders as b
from tests.support import sessions
from tests.support.builders import PNG
from tests.support.sessions import bearer
from web.app import create_app

YARD = "http://yard.test"  # the host the manifest's QR code points at


def call(app, *requests):
    return sessions.call(app, *requests, base_url=YARD)


@pytest.fixture
def world(db, settings):
    w = b.deal(db, settings, tonnes=500)
    w["other"] = b.actor(db, "producer")
    w["regulator"] = b.regulator(db)
    w["app"] = create_app(settings, db)
    w["h"] = {k: bearer(db, w[k]) for k in ("producer", "recycler", "other", "regulator")}
    return w


def dispatch(w, trucks, who="producer"):
    (r,) = call(
        w["app"],
        (
            "POST",
            f"/api/v1/contracts/{w['contract'].id}/trucks",
            {"json": {"trucks": trucks}, "headers": w["h"][who]},
        ),
    )
    return r


def get(w, url, who="producer"):
    """`url` read by one of the world's people."""
    (r,) = call(w["app"], ("GET", url, {"headers": w["h"][who]}))
    return r


def upload_ticket(w, content):
    """A weighbridge ticket's file, named ticket.png whatever it holds, uploaded by the
    recycler."""
    files = {"file": ("ticket.png", content, "image/png")}
    (r,) = call(
        w["app"], ("POST", "/api/v1/documents", {"files": files, "headers": w["h"]["recycler"]})
    )
    return r


def text_of(pdf: bytes) -> str:
    doc = pypdfium2.PdfDocument(pdf)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def qr_codes(pdf: bytes) -> list[str]:
    doc = pypdfium2.PdfDocument(pdf)
    found = []
    for i in range(len(doc)):
        image = doc[i].render(scale=2).to_pil()
        found += [r.text for r in zxingcpp.read_barcodes(image)]
    return found


def test_the_manifest_pdf_carries_number_plate_tonnes_in_chinese_and_a_qr_of_the_receipt_page(
    world,
):
    r = dispatch(
        world,
        [
            {
                "truck_plate": "云A·3K721",
                "driver": "王建国",
                "tonnes": 34.65,
                "manifest_no": "530181-2026-000777",
            }
        ],
    )
    assert r.status_code == 201, r.text
    delivery_id = r.json()["deliveries"][0]["id"]
    pdf = get(world, f"/api/v1/deliveries/{delivery_id}/manifest.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = squeezed(text_of(pdf.content))
    assert "一般工业固体废物转移联单" in text
    assert "530181-2026-000777" in text
    assert "云A·3K721" in text and "王建国" in text
    assert "34.65吨" in text
    assert "磷石膏" in text
    for copy in ("第一联", "第二联", "第三联"):  # producer, carrier, recycler
        assert copy in text
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 3
    url = f"{YARD}/deliveries/{delivery_id}/receipt"
    assert qr_codes(pdf.content) == [url, url, url]


def test_the_manifest_embeds_its_own_font_so_a_machine_without_chinese_fonts_shows_it(world):
    r = dispatch(world, [{"truck_plate": "云A·1", "driver": "李", "tonnes": 30}])
    delivery_id = r.json()["deliveries"][0]["id"]
    pdf = get(world, f"/api/v1/deliveries/{delivery_id}/manifest.pdf", "recycler")
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf.content)).pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("WastematchSansSC" in f for f in fonts), fonts


def test_the_contract_pdf_names_both_parties_the_price_and_who_pays(world):
    r = get(world, f"/api/v1/contracts/{world['contract'].id}/contract.pdf", "recycler")
    assert r.status_code == 200
    text = squeezed(text_of(r.content))
    from market.tables import Organisation

    with world["app"].state.db.read_session() as s:
        producer = s.get(Organisation, world["producer"].organisation_id).name
        recycler = s.get(Organisation, world["recycler"].organisation_id).name
    assert squeezed(producer) in text and squeezed(recycler) in text
    assert "-8元/吨" in text
    assert "产废单位（甲方）向利用单位（乙方）支付" in text  # a negative price: the producer pays
    assert "第三十七条" in text


def test_a_days_trucks_go_all_or_none(world):
    over = dispatch(
        world,
        [
            {"truck_plate": "云A·1", "driver": "甲", "tonnes": 35},
            {"truck_plate": "云A·2", "driver": "乙", "tonnes": 9999},
        ],
    )
    assert over.status_code == 422
    assert over.json()["error"]["field"].startswith("trucks[1]")
    listing = get(world, f"/api/v1/contracts/{world['contract'].id}")
    assert listing.json()["dispatched_t"] == 0
    ok = dispatch(
        world,
        [
            {"truck_plate": "云A·1", "driver": "甲", "tonnes": 35},
            {"truck_plate": "云A·2", "driver": "乙", "tonnes": 34.5},
        ],
    )
    assert ok.status_code == 201, ok.text
    assert [d["tonnes"] for d in ok.json()["deliveries"]] == [35, 34.5]
    assert len({d["manifest_no"] for d in ok.json()["deliveries"]}) == 2


def test_a_csv_paste_dispatches_the_same_trucks(world):
    (r,) = call(
        world["app"],
        (
            "POST",
            f"/api/v1/contracts/{world['contract'].id}/trucks",
            {
                "json": {"csv": "plate,driver,tonnes\n云A·7,赵六,33.2\n云A·8,钱七,36,M-8\n"},
                "headers": world["h"]["producer"],
            },
        ),
    )
    assert r.status_code == 201, r.text
    rows = r.json()["deliveries"]
    assert [(d["truck_plate"], d["tonnes"]) for d in rows] == [("云A·7", 33.2), ("云A·8", 36)]
    assert rows[1]["manifest_no"] == "M-8"


def test_the_weighbridge_ticket_must_be_a_picture_or_a_pdf_judged_by_its_content(world, db):
    r = dispatch(world, [{"truck_plate": "云A·9", "driver": "孙", "tonnes": 35}])
    delivery_id = r.json()["deliveries"][0]["id"]
    app, h = world["app"], world["h"]
    xlsx_like = upload_ticket(world, b"PK\x03\x04not really")
    assert xlsx_like.status_code == 422  # neither a picture nor a PDF, whatever its name
    from openpyxl import Workbook

    book = io.BytesIO()
    Workbook().save(book)
    sheet = upload_ticket(world, book.getvalue())
    assert sheet.status_code == 201  # a workbook is a document, but not a ticket:
    refused = call(
        app,
        (
            "POST",
            f"/api/v1/deliveries/{delivery_id}/ticket",
            {
                "json": {"document": sheet.json()["id"]},
                "headers": h["recycler"],
            },
        ),
    )[0]
    assert refused.status_code == 422 and "picture or a PDF" in refused.json()["error"]["message"]
    photo = upload_ticket(world, PNG)
    attached, got, theirs = call(
        app,
        (
            "POST",
            f"/api/v1/deliveries/{delivery_id}/ticket",
            {"json": {"document": photo.json()["id"]}, "headers": h["recycler"]},
        ),
        ("GET", f"/api/v1/deliveries/{delivery_id}/ticket", {"headers": h["producer"]}),
        ("GET", f"/api/v1/deliveries/{delivery_id}/ticket", {"headers": h["other"]}),
    )
    assert attached.status_code == 200
    assert got.status_code == 200 and got.content == PNG
    assert theirs.status_code == 404


def test_papers_are_for_the_parties_and_regulators_only_another_producer_gets_404(world):
    r = dispatch(world, [{"truck_plate": "云A·5", "driver": "周", "tonnes": 35}])
    delivery_id = r.json()["deliveries"][0]["id"]
    c = world["contract"].id
    urls = [
        f"/api/v1/deliveries/{delivery_id}/manifest.pdf",
        f"/api/v1/contracts/{c}/contract.pdf",
        f"/api/v1/sites/{world['yard'].id}/statutory-ledger.xlsx?year=2026",
    ]
    for who, expected in (("other", 404), ("regulator", 200), ("producer", 200)):
        answers = call(world["app"], *[("GET", u, {"headers": world["h"][who]}) for u in urls])
        assert [a.status_code for a in answers] == [expected] * 3, (
            who,
            [a.text[:80] for a in answers],
        )
    theirs = dispatch(world, [{"truck_plate": "云A·6", "driver": "吴", "tonnes": 1}], who="other")
    assert theirs.status_code == 404
    assert theirs.json()["error"]["message"].count("\n") == 0


@pytest.mark.parametrize("query", ["year=abc", "year=1899", "year=2025&month=13", ""])
def test_a_bad_year_or_month_is_a_one_line_refusal(world, query):
    r = get(world, f"/api/v1/sites/{world['yard'].id}/statutory-ledger.xlsx?{query}")
    assert r.status_code in (400, 422), r.text
    assert "\n" not in r.json()["error"]["message"]


def test_an_unknown_yard_is_not_found(world):
    r = get(world, "/api/v1/sites/999999/statutory-ledger.xlsx?year=2025")
    assert r.status_code == 404
