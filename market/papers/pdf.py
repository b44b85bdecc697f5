"""The transfer manifest and the contract as A4 PDFs, in Chinese with English beside it.

fpdf2 lays the pages out and embeds the app's own font (web/static/vendor/
WastematchSansSC-Regular.ttf, vendored by scripts/vendor_refresh.sh), subset to the glyphs a
paper uses, so the PDF reads the same on a machine that has no Chinese font. segno draws the QR
code. Nothing here reads the database: `market.papers.facts` hands over what a paper says.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

from market.catalogue import catalogue
from market.papers.facts import ContractFacts, DeliveryFacts, Party, cst

FONT = (
    Path(__file__).resolve().parents[2]
    / "web"
    / "static"
    / "vendor"
    / "WastematchSansSC-Regular.ttf"
)
FAMILY = "wm"
COPIES = (
    ("第一联 产废单位存档", "copy 1: producer"),
    ("第二联 运输单位随车", "copy 2: carrier"),
    ("第三联 利用单位存档", "copy 3: recycler"),
)
MARGIN = 15.0
WIDTH = 210.0 - 2 * MARGIN
LABEL_W = 48.0


class _Paper(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN)
        self.add_font(FAMILY, "", str(FONT))
        self.set_font(FAMILY, size=10)
        self.set_title(title)
        self.set_creator("wastematch")
        self.set_lang("zh-CN")
        self.footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=7)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.footer_text}  ·  {self.page_no()}", align="C")
        self.set_text_color(0)


def _num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return ""
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class _LabelStyle:
    """Where a box's label sits: `pad` in from its left, the Chinese (9 pt) `top` below its top
    and `zh_h` high, the English (`en_size` pt, grey) `en_top` below its top and `en_h` high."""

    pad: float
    top: float
    zh_h: float
    en_top: float
    en_h: float
    en_size: float


ROW_LABEL = _LabelStyle(pad=1.5, top=0.6, zh_h=4.5, en_top=4.6, en_h=3.5, en_size=6.5)
SIGNATURE_LABEL = _LabelStyle(pad=2, top=1.5, zh_h=5, en_top=6, en_h=4, en_size=7)


def _label(pdf: _Paper, style: _LabelStyle, x: float, y: float, w: float, zh: str, en: str) -> None:
    """The Chinese with the English under it in a box at (x, y), `w` wide; the grey is left set."""
    pdf.set_xy(x + style.pad, y + style.top)
    pdf.set_font(FAMILY, size=9)
    pdf.cell(w - 2 * style.pad, style.zh_h, zh)
    pdf.set_xy(x + style.pad, y + style.en_top)
    pdf.set_font(FAMILY, size=style.en_size)
    pdf.set_text_color(90)
    pdf.cell(w - 2 * style.pad, style.en_h, en)


def _rows(pdf: _Paper, rows: Sequence[tuple[str, str, str]], *, label_w: float = LABEL_W) -> None:
    """A two-column table: Chinese label with the English under it, then the value."""
    for zh, en, value in rows:
        x, y = pdf.get_x(), pdf.get_y()
        value_w = WIDTH - label_w
        pdf.set_font(FAMILY, size=10)
        lines = pdf.multi_cell(
            value_w - 2, 5, value or " ", align="L", dry_run=True, output="LINES"
        )
        assert isinstance(lines, list)  # output="LINES" returns the lines alone
        height = max(9.0, 5.0 * len(lines) + 1.5)
        if y + height > pdf.h - MARGIN - 8:
            pdf.add_page()
            x, y = pdf.get_x(), pdf.get_y()
        pdf.set_fill_color(242, 244, 246)
        pdf.rect(x, y, label_w, height, style="DF")
        pdf.rect(x + label_w, y, value_w, height)
        _label(pdf, ROW_LABEL, x, y, label_w, zh, en)
        pdf.set_text_color(0)
        pdf.set_font(FAMILY, size=10)
        pdf.set_xy(x + label_w + 1, y + 0.75)
        pdf.multi_cell(value_w - 2, 5, value or " ", align="L")
        pdf.set_xy(x, y + height)


def _heading(pdf: _Paper, zh: str, en: str) -> None:
    pdf.ln(1.5)
    pdf.set_font(FAMILY, size=11)
    pdf.cell(0, 6, zh, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=7)
    pdf.set_text_color(90)
    pdf.cell(0, 3.5, en, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(0.8)


def _signatures(pdf: _Paper, boxes: Sequence[tuple[str, str]]) -> None:
    w = WIDTH / len(boxes)
    if pdf.get_y() + 26 > pdf.h - MARGIN - 8:
        pdf.add_page()
    y = pdf.get_y() + 2
    for i, (zh, en) in enumerate(boxes):
        x = MARGIN + i * w
        pdf.rect(x, y, w, 24)
        _label(pdf, SIGNATURE_LABEL, x, y, w, zh, en)
        pdf.set_xy(x + 2, y + 18.5)
        pdf.cell(w - 4, 4, "签字（盖章） signature / seal        日期 date")
        pdf.set_text_color(0)
    pdf.set_xy(MARGIN, y + 26)


def _qr_png(url: str) -> io.BytesIO:
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=8, border=2)
    out.seek(0)
    return out


def _material_text(c: ContractFacts) -> str:
    return f"{c.material_zh}（{c.material_en}）"


def _party_text(p: Party) -> str:
    return f"{p.organisation}\n{p.site} · {p.place}（{p.lat:.4f}°N, {p.lon:.4f}°E）"


def manifest_pdf(d: DeliveryFacts, receipt_url: str) -> bytes:
    """Three copies of the transfer manifest, one page each: producer, carrier, recycler."""
    c = d.contract
    pdf = _Paper(f"一般工业固体废物转移联单 {d.manifest_no}")
    pdf.footer_text = f"转移联单 manifest {d.manifest_no} · 合同 contract #{c.id} · wastematch"
    qr = _qr_png(receipt_url).getvalue()
    received = d.settled_tonnes if d.settled_tonnes is not None else d.received_tonnes
    for copy_zh, copy_en in COPIES:
        pdf.add_page()
        top = pdf.get_y()
        pdf.set_font(FAMILY, size=16)
        pdf.cell(WIDTH - 42, 9, "一般工业固体废物转移联单", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, size=8.5)
        pdf.set_text_color(90)
        pdf.cell(
            WIDTH - 42,
            5,
            "Transfer manifest for general industrial solid waste",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0)
        pdf.set_font(FAMILY, size=11)
        pdf.cell(WIDTH - 42, 7, f"联单编号 No. {d.manifest_no}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, size=10)
        pdf.cell(WIDTH - 42, 6, f"{copy_zh}（{copy_en}）", new_x="LMARGIN", new_y="NEXT")
        pdf.image(io.BytesIO(qr), x=MARGIN + WIDTH - 38, y=top, w=38, h=38)
        pdf.set_xy(MARGIN + WIDTH - 42, top + 38)
        pdf.set_font(FAMILY, size=6.5)
        pdf.multi_cell(46, 3, "扫码确认接收 scan to confirm receipt", align="C")
        pdf.set_xy(MARGIN, max(pdf.get_y(), top + 44))

        _heading(pdf, "一、转移双方", "The parties")
        _rows(
            pdf,
            [
                (
                    "产废单位 / 产生场所",
                    "producer / yard",
                    _party_text(c.producer),
                ),
                (
                    "利用单位 / 利用场所",
                    "recycler / plant",
                    _party_text(c.recycler),
                ),
                (
                    "合同",
                    "contract",
                    f"#{c.id}，{_num(c.tonnes)} 吨，{_num(c.price_cny_t, 2)} 元/吨（{c.payer_zh}）",
                ),
            ],
        )
        _heading(pdf, "二、固体废物", "The waste")
        _rows(
            pdf,
            [
                ("废物名称", "waste", _material_text(c)),
                ("废物代码", "waste code (2024 catalogue)", c.code_text),
                (
                    "废物类别",
                    "class",
                    "一般工业固体废物（非危险废物） general industrial solid waste",
                ),
                ("利用方式", "use", c.use_zh or "综合利用 utilisation"),
                ("转移数量（吨）", "tonnes dispatched", f"{_num(d.tonnes)} 吨 t"),
            ],
        )
        _heading(pdf, "三、运输", "Transport")
        _rows(
            pdf,
            [
                ("车牌号", "truck plate", d.truck_plate),
                ("驾驶员", "driver", d.driver),
                (
                    "出场时间",
                    "dispatched at (CST)",
                    f"{cst(d.dispatched_at)}　经办 by {d.dispatched_by}",
                ),
            ],
        )
        _heading(pdf, "四、接收", "Receipt at the weighbridge")
        _rows(
            pdf,
            [
                (
                    "接收数量（吨）",
                    "tonnes received",
                    f"{_num(received)} 吨 t" if received is not None else "",
                ),
                (
                    "接收时间",
                    "received at (CST)",
                    f"{cst(d.received_at)}　经办 by {d.received_by}" if d.received_at else "",
                ),
                ("确认网址", "receipt page", receipt_url),
            ],
        )
        pdf.ln(1)
        _signatures(
            pdf,
            [
                ("产废单位经办人", "producer"),
                ("运输单位（驾驶员）", "carrier (driver)"),
                ("利用单位接收人", "recycler"),
            ],
        )
    return bytes(pdf.output())


ARTICLE_37_DUTIES = (
    (
        "甲方应核实乙方的主体资格和技术能力，依法签订书面合同，在合同中约定污染防治要求"
        "（《中华人民共和国固体废物污染环境防治法》第三十七条）；如实建立工业固体废物管理台账"
        "（第三十六条），台账保存期限不少于五年。",
        "The producer checks the recycler's standing and capacity, signs this written contract "
        "with its pollution-control terms (Solid Waste Law Art. 37) and keeps the 台账 (Art. 36) "
        "for at least five years.",
    ),
    (
        "甲方按约定数量、质量交付固体废物，随车出具转移联单，装车、运输过程中采取防扬散、"
        "防流失、防渗漏措施。",
        "The producer delivers the agreed tonnes and quality with a transfer manifest on each "
        "truck, loaded and carried so that nothing is blown, washed or leaked away.",
    ),
    (
        "乙方应按照国家有关环境保护标准和污染防治要求利用固体废物，不得擅自倾倒、堆放、丢弃、"
        "遗撒，不得转交第三方；利用过程中产生的二次污染物依法处置。",
        "The recycler uses the waste under the national environmental standards and the "
        "pollution-control terms; it may not dump, abandon or pass it on, and deals lawfully "
        "with what its use gives off.",
    ),
    (
        "乙方在地磅如实计量、确认接收数量并留存磅单；甲乙双方对不一致的数量协商确认，"
        "协商不成的提请生态环境主管部门认定。",
        "The recycler weighs each truck, confirms the tonnes received and keeps the weighbridge "
        "ticket; a difference is agreed between the parties or decided by the regulator.",
    ),
    (
        "任何一方违反前述污染防治要求的，依法承担相应责任；受托方违法造成环境污染的，"
        "委托方未履行核实义务的依法承担连带责任。",
        "A party in breach of these terms answers for it under the law; a producer that did "
        "not check its recycler answers jointly for the recycler's pollution.",
    ),
)


def contract_pdf(c: ContractFacts) -> bytes:
    """The contract: parties, material and code, tonnes, price and who pays, period, delivery
    terms, both sides' pollution-control duties (Article 37), places for signatures."""
    pdf = _Paper(f"一般工业固体废物综合利用合同 #{c.id}")
    pdf.footer_text = f"合同 contract #{c.id} · wastematch"
    pdf.add_page()
    pdf.set_font(FAMILY, size=16)
    pdf.cell(0, 9, "一般工业固体废物综合利用合同", new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font(FAMILY, size=8.5)
    pdf.set_text_color(90)
    pdf.cell(
        0,
        5,
        "Contract for the utilisation of general industrial solid waste",
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.set_text_color(0)
    pdf.set_font(FAMILY, size=10.5)
    pdf.cell(
        0,
        7,
        f"合同编号 No. {c.id}　　签订 signed {cst(c.signed_at)}（北京时间 CST）",
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )

    _heading(pdf, "一、合同双方", "The parties")
    _rows(
        pdf,
        [
            (
                "甲方（产废单位）",
                "party A: producer",
                _party_text(c.producer),
            ),
            (
                "乙方（利用单位）",
                "party B: recycler",
                _party_text(c.recycler),
            ),
        ],
    )
    _heading(pdf, "二、标的", "The waste")
    cat = catalogue()
    quality = "；".join(
        f"{cat.parameters[k].name_zh} {_num(v)} {cat.parameters[k].unit}"
        for k, v in sorted(c.quality.items())
        if k in cat.parameters
    )
    _rows(
        pdf,
        [
            ("废物名称", "waste", _material_text(c)),
            ("废物代码", "waste code (2024 catalogue)", c.code_text),
            ("废物类别", "class", "一般工业固体废物（非危险废物） general industrial solid waste"),
            ("利用方式", "use", c.use_zh or "综合利用 utilisation"),
            ("质量（化验）", "assay", quality or "见批次化验报告 see the lot's lab report"),
            (
                "数量",
                "tonnes",
                f"{_num(c.tonnes)} 吨 t（批次 lot #{c.lot_id}，需求 offer #{c.offer_id}）",
            ),
        ],
    )
    _heading(pdf, "三、价格与结算", "Price and payment")
    _rows(
        pdf,
        [
            ("单价", "price", f"{_num(c.price_cny_t, 2)} 元/吨 CNY/t"),
            ("合同金额", "value", f"{_num(abs(c.value_cny), 2)} 元 CNY"),
            ("付款方", "who pays", f"{c.payer_zh}（{c.payer_en}）"),
            (
                "结算依据",
                "settled on",
                "以利用单位地磅确认的接收数量为准；争议数量按协商或主管部门认定"
                " — the tonnes the recycler's weighbridge confirms;"
                " disputed tonnes as agreed or decided",
            ),
        ],
    )
    _heading(pdf, "四、期限与交付", "Period and delivery")
    haul = f"，运距不超过 {_num(c.max_haul_km, 0)} 公里" if c.max_haul_km else ""
    _rows(
        pdf,
        [
            ("履行期限", "period", f"{c.period_start} 至 to {c.period_end}"),
            ("交付地点", "delivered to", f"{c.recycler.site} · {c.recycler.place}"),
            (
                "交付方式",
                "delivery",
                f"甲方分车发运，每车出具一般工业固体废物转移联单{haul}；乙方逐车过磅确认接收。"
                " Truck by truck, each with a transfer manifest;"
                " the recycler weighs and confirms each.",
            ),
        ],
    )
    _heading(
        pdf,
        "五、污染防治责任（固废法第三十七条）",
        "Pollution-control duties (Solid Waste Law Art. 37)",
    )
    for i, (zh, en) in enumerate(ARTICLE_37_DUTIES, start=1):
        pdf.set_font(FAMILY, size=9.5)
        pdf.multi_cell(WIDTH, 5.5, f"{i}. {zh}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, size=7.5)
        pdf.set_text_color(90)
        pdf.multi_cell(WIDTH, 4, f"    {en}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
        pdf.ln(1)
    pdf.ln(2)
    _signatures(
        pdf,
        [
            (f"甲方：{c.producer.organisation}", "party A (producer)"),
            (f"乙方：{c.recycler.organisation}", "party B (recycler)"),
        ],
    )
    return bytes(pdf.output())
