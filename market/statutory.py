"""The statutory 台账: a yard's (or a producer's) 一般工业固体废物管理台账 for a year or a month,
in the tables of the Ministry of Ecology and Environment's guideline (生态环境部公告 2021年第82号
《一般工业固体废物管理台账制定指南（试行）》; see seed_data/README.md for the source and for how
each column is filled).

Every figure is the audit's: the flows are `market.audit.figures` of the same sums the audit
takes (kinds labelled by `audit_trust.kind_label`, so an unattested claim is not counted as
own use), for the same yard and period. The record tables list the entries and deliveries
behind those figures.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import case
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from market import audit, clock
from market import catalogue as catalogue_mod
from market.audit_trust import base_kind, kind_label
from market.auth import Actor
from market.errors import InvalidInput, NotFound
from market.exports import neutralise
from market.papers.facts import UNVERIFIED_CODE
from market.services.common import MAX_ID, OVERSEERS
from market.tables import (
    Contract,
    Delivery,
    DeliveryPapers,
    LedgerEntry,
    Lot,
    Offer,
    Organisation,
    Site,
    User,
)

GUIDELINE = "生态环境部公告 2021年第82号《一般工业固体废物管理台账制定指南（试行）》"
CATEGORY = "一般工业固体废物"
FIRST_YEAR, LAST_YEAR = 2000, 2100


def parse_period(year: Any, month: Any = None) -> audit.Period:
    """`year` (2000–2100) and optionally `month` (1–12): a one-line refusal for anything else."""
    text = str(year).strip() if year is not None else ""
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise InvalidInput.about("year", year, "is not a year such as 2025")
    y = int(text)
    if not FIRST_YEAR <= y <= LAST_YEAR:
        raise InvalidInput.about(
            "year",
            year,
            "is outside {FIRST_YEAR}–{LAST_YEAR}",
            FIRST_YEAR=FIRST_YEAR,
            LAST_YEAR=LAST_YEAR,
        )
    if month is None or month == "":
        return audit.Period.year_of(y)
    m_text = str(month).strip()
    if not (m_text.isascii() and m_text.isdigit() and 1 <= int(m_text) <= 12 and len(m_text) <= 2):
        raise InvalidInput.about("month", month, "is not a month 1–12")
    return audit.Period.month_of(y, int(m_text))


@dataclass(frozen=True)
class Scope:
    organisation: Organisation
    yards: tuple[Site, ...]
    site_id: int | None


def scope_of_site(session: Session, actor: Actor, site_id: int) -> Scope:
    site = session.get(Site, site_id) if 0 < site_id <= MAX_ID else None
    if site is None or site.kind != "yard" or not _may_read(actor, site.organisation_id):
        raise NotFound("site_id: {value} does not exist", field="site_id", value=site_id)
    org = session.get(Organisation, site.organisation_id)
    assert org is not None
    return Scope(org, (site,), site.id)


def scope_of_organisation(session: Session, actor: Actor, org_id: int) -> Scope:
    org = session.get(Organisation, org_id) if 0 < org_id <= MAX_ID else None
    if org is None or not _may_read(actor, org_id):
        raise NotFound("organisation: {value} does not exist", field="organisation", value=org_id)
    yards = session.exec(
        select(Site)
        .where(Site.organisation_id == org_id, Site.kind == "yard")
        .order_by(col(Site.id))
    ).all()
    return Scope(org, tuple(yards), None)


def _may_read(actor: Actor, org_id: int) -> bool:
    if actor.role in OVERSEERS:
        return True
    return actor.role == "producer" and actor.organisation_id == org_id


def _sums(
    session: Session, site_ids: Sequence[int], period: audit.Period
) -> dict[tuple[int, str], tuple[dict[audit.Key, float], dict[audit.Key, float]]]:
    """(yard, material) → the audit's sums before the period and within it."""
    if not site_ids:
        return {}
    day = col(LedgerEntry.occurred_on)
    tonnes = col(LedgerEntry.tonnes)
    label = kind_label()
    names_delivery = col(LedgerEntry.delivery_id).is_not(None)
    q = (
        select(
            col(LedgerEntry.site_id),
            col(LedgerEntry.material),
            label,
            names_delivery,
            func.sum(case((day < period.start, tonnes), else_=0.0)),
            func.sum(case((day >= period.start, tonnes), else_=0.0)),
        )
        .where(day <= period.end, col(LedgerEntry.site_id).in_(site_ids))
        .group_by(col(LedgerEntry.site_id), col(LedgerEntry.material), label, names_delivery)
    )
    out: dict[tuple[int, str], tuple[dict[audit.Key, float], dict[audit.Key, float]]] = {}
    for site_id, material, kind, receipt, before, within in session.exec(q).all():
        b, w = out.setdefault((site_id, material), ({}, {}))
        key = (kind, bool(receipt))
        b[key] = float(before or 0.0)
        w[key] = float(within or 0.0)
    return out


def _t(value: float) -> float:
    return round(value + 0.0, 3)


def flow_row(within: Mapping[audit.Key, float], f: audit.Figures) -> dict[str, float]:
    """The flow summary's figures, each the audit's or a split of one of them."""
    own_use = sum(t for (k, receipt), t in within.items() if k == "utilisation" and not receipt)
    received = sum(t for (k, receipt), t in within.items() if k == "utilisation" and receipt)
    pending = sum(
        t
        for (k, _r), t in within.items()
        if ":" in k and base_kind(k) in ("utilisation", "treatment")
    )
    return {
        "opening_stock_t": f.opening_stock_t,
        "generated_t": f.generated_t,
        "own_use_t": _t(own_use),
        "treated_t": f.treated_t,
        "disposed_t": f.disposed_t,
        "own_disposal_t": _t(f.treated_t + f.disposed_t),
        "dispatched_t": f.dispatched_t,
        "received_t": _t(received),
        "utilised_t": f.utilised_t,
        "pending_claims_t": _t(pending),
        "corrected_t": f.corrected_t,
        "closing_stock_t": f.ledger_closing_stock_t,
    }


def _code(material: str) -> str:
    return catalogue_mod.waste_code(material) or UNVERIFIED_CODE


def _name(material: str) -> str:
    m = catalogue_mod.catalogue().materials.get(material)
    return m.name_zh if m else material


def build(session: Session, scope: Scope, period: audit.Period) -> dict[str, Any]:
    """The guideline's tables for the scope and period, as rows of plain values."""
    site_ids = [s.id for s in scope.yards if s.id is not None]
    yards = {s.id: s for s in scope.yards}
    r = audit.rules()
    sums = _sums(session, site_ids, period)
    flows = []
    for (site_id, material), (before, within) in sorted(
        sums.items(), key=lambda kv: (kv[0][0], kv[0][1])
    ):
        f = audit.figures(before, within, r)
        row = flow_row(within, f)
        if not any(abs(v) > 1e-9 for v in row.values()):
            continue
        flows.append(
            {
                "site_id": site_id,
                "yard": yards[site_id].name,
                "material": material,
                "name": _name(material),
                "code": _code(material),
                "category": CATEGORY,
            }
            | row
        )

    day = col(LedgerEntry.occurred_on)
    entries = session.exec(
        select(LedgerEntry, User.username)
        .join(User, col(User.id) == LedgerEntry.recorded_by)
        .where(
            col(LedgerEntry.site_id).in_(site_ids or [0]),
            day >= period.start,
            day <= period.end,
        )
        .order_by(day, col(LedgerEntry.site_id), col(LedgerEntry.seq))
    ).all()

    def entry_row(e: LedgerEntry, who: str) -> dict[str, Any]:
        return {
            "date": e.occurred_on.isoformat(),
            "yard": yards[e.site_id].name,
            "material": e.material,
            "name": _name(e.material),
            "code": _code(e.material),
            "tonnes": _t(e.tonnes),
            "kind": e.kind,
            "document": e.document,
            "attestation": e.attestation,
            "recorded_by": who,
            "seq": e.seq,
            "entry_id": e.id,
        }

    generation = [entry_row(e, u) for e, u in entries if e.kind == "generation"]
    own_use = [
        entry_row(e, u) for e, u in entries if e.kind == "utilisation" and e.delivery_id is None
    ]
    own_disposal = [entry_row(e, u) for e, u in entries if e.kind in ("treatment", "disposal")]

    # storage: every entry that moves the yard's stock, in and out, with the running balance
    storage = []
    running: dict[tuple[int, str], float] = {
        key: audit.figures(b, {}, r).ledger_closing_stock_t for key, (b, _w) in sums.items()
    }
    for e, u in entries:
        effect = (
            0.0
            if (e.kind == "utilisation" and e.delivery_id is not None)
            else (audit.stock_change({(e.kind, e.delivery_id is not None): e.tonnes}))
        )
        if e.kind == "opening":
            effect = e.tonnes
        if abs(effect) < 1e-12 or e.kind == "p2o5_output":
            continue
        key = (e.site_id, e.material)
        running[key] = running.get(key, 0.0) + effect
        row = entry_row(e, u)
        row |= {
            "in_t": _t(effect) if effect > 0 else None,
            "out_t": _t(-effect) if effect < 0 else None,
            "balance_t": _t(running[key]),
            "direction": _DIRECTION.get(e.kind, e.kind),
        }
        storage.append(row)

    Plant = aliased(Site)
    Recycler = aliased(Organisation)
    deliveries = session.exec(
        select(Delivery, Lot, Plant, Recycler, Offer, DeliveryPapers)
        .join(Contract, col(Contract.id) == Delivery.contract_id)
        .join(Lot, col(Lot.id) == Contract.lot_id)
        .join(Offer, col(Offer.id) == Contract.offer_id)
        .join(Plant, col(Plant.id) == Offer.site_id)
        .join(Recycler, col(Recycler.id) == Plant.organisation_id)
        .outerjoin(DeliveryPapers, col(DeliveryPapers.delivery_id) == Delivery.id)
        .where(col(Lot.site_id).in_(site_ids or [0]))
        .order_by(col(Delivery.dispatched_at), col(Delivery.id))
    ).all()
    contracted = []
    cat = catalogue_mod.catalogue()
    for d, lot, plant, recycler, offer, papers in deliveries:
        out_day = clock.china_day(d.dispatched_at)
        if not period.start <= out_day <= period.end:
            continue
        mat = cat.materials.get(lot.material)
        use = next((u.name_zh for u in mat.uses if u.code == offer.use_code), "") if mat else ""
        received = d.settled_tonnes if d.settled_tonnes is not None else d.received_tonnes
        contracted.append(
            {
                "date": out_day.isoformat(),
                "yard": yards[lot.site_id].name,
                "manifest_no": d.manifest_no,
                "material": lot.material,
                "name": _name(lot.material),
                "code": _code(lot.material),
                "tonnes": _t(d.tonnes),
                "way": "委托利用",
                "use": use or "综合利用",
                "recycler": recycler.name,
                "plant": plant.name,
                "place": f"{plant.prefecture}{plant.county}",
                "contract_id": d.contract_id,
                "truck_plate": d.truck_plate,
                "driver": papers.driver if papers else "",
                "received_t": _t(received) if received is not None else None,
                "received_on": clock.china_day(d.received_at).isoformat() if d.received_at else "",
                "status": d.status,
                "ticket": "有" if papers is not None and papers.ticket_document_id else "",
            }
        )

    basic = []
    for material in sorted({f["material"] for f in flows} | {c["material"] for c in contracted}):
        m = cat.materials.get(material)
        basic.append(
            {
                "name": _name(material),
                "code": _code(material),
                "category": CATEGORY,
                "source": "、".join(
                    sorted({f["yard"] for f in flows if f["material"] == material})
                ),
                "form": _FORM.get(m.family, "固态") if m else "固态",
                "components": _components(material),
                "hazard": "否（非危险废物）",
                "storage": "、".join(
                    sorted({f["yard"] for f in flows if f["material"] == material})
                ),
                "ways": "贮存；"
                + "；".join(
                    sorted(
                        {"委托利用" for c in contracted if c["material"] == material}
                        | {"自行利用" for o in own_use if o["material"] == material}
                        | {"自行处置" for o in own_disposal if o["material"] == material}
                    )
                ),
            }
        )
    totals = {
        k: _t(sum(f[k] for f in flows))
        for k in (
            "opening_stock_t",
            "generated_t",
            "own_use_t",
            "own_disposal_t",
            "dispatched_t",
            "received_t",
            "pending_claims_t",
            "corrected_t",
            "closing_stock_t",
        )
    }
    return {
        "organisation": scope.organisation.name,
        "organisation_id": scope.organisation.id,
        "site_id": scope.site_id,
        "yards": [y.name for y in scope.yards],
        "period": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "guideline": GUIDELINE,
        "basic": basic,
        "flows": flows,
        "totals": totals,
        "generation": generation,
        "storage": storage,
        "own_use": own_use,
        "own_disposal": own_disposal,
        "contracted": contracted,
        "made_at": clock.now().strftime("%Y-%m-%d %H:%M"),
    }


_DIRECTION = {
    "opening": "期初盘点入库",
    "generation": "产生入库",
    "dispatch": "出库（委托利用/处置）",
    "utilisation": "出库（自行利用）",
    "treatment": "出库（自行处置：无害化处理）",
    "disposal": "出库（自行处置：填埋）",
    "correction": "更正",
}
_FORM = {"tailings": "半固态（浆状/泥状）", "red_mud": "半固态（泥状）"}


def _components(material: str) -> str:
    cat = catalogue_mod.catalogue()
    m = cat.materials.get(material)
    if m is None:
        return ""
    return "、".join(cat.parameters[p].name_zh for p in m.parameters[:4] if p in cat.parameters)


# ----------------------------------------------------------------------------- workbook

# (sheet, title, [(key, header)]) in the guideline's order
SHEETS: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "basic",
        "表1 一般工业固体废物基本信息表",
        "basic list of the wastes",
        (
            ("#", "序号"),
            ("name", "固体废物名称"),
            ("code", "固体废物代码"),
            ("category", "固体废物类别"),
            ("source", "产生场所（产生环节）"),
            ("form", "物理性状"),
            ("components", "主要成分（化验项目）"),
            ("hazard", "是否危险废物"),
            ("storage", "贮存场所"),
            ("ways", "去向（贮存/利用/处置方式）"),
        ),
    ),
    (
        "flows",
        "表2 一般工业固体废物流向汇总表",
        "flow summary",
        (
            ("#", "序号"),
            ("yard", "产生/贮存场所"),
            ("name", "固体废物名称"),
            ("code", "固体废物代码"),
            ("opening_stock_t", "期初贮存量（吨）"),
            ("generated_t", "产生量（吨）"),
            ("own_use_t", "自行利用量（吨）"),
            ("own_disposal_t", "自行处置量（吨）"),
            ("dispatched_t", "委托利用/处置量（吨）"),
            ("received_t", "其中接收方确认量（吨）"),
            ("pending_claims_t", "待认定的自行利用/处置（吨）"),
            ("corrected_t", "更正量（吨）"),
            ("closing_stock_t", "期末贮存量（吨）"),
        ),
    ),
    (
        "generation",
        "表3 一般工业固体废物产生环节记录表",
        "generation records",
        (
            ("#", "序号"),
            ("date", "产生日期"),
            ("yard", "产生场所"),
            ("name", "固体废物名称"),
            ("code", "固体废物代码"),
            ("tonnes", "产生量（吨）"),
            ("document", "凭证/记录"),
            ("recorded_by", "经办人"),
        ),
    ),
    (
        "storage",
        "表4 一般工业固体废物贮存环节记录表",
        "storage records",
        (
            ("#", "序号"),
            ("date", "日期"),
            ("yard", "贮存场所"),
            ("name", "固体废物名称"),
            ("code", "固体废物代码"),
            ("direction", "入库/出库"),
            ("in_t", "入库量（吨）"),
            ("out_t", "出库量（吨）"),
            ("balance_t", "贮存量（吨）"),
            ("document", "凭证"),
            ("recorded_by", "经办人"),
        ),
    ),
    (
        "own_use",
        "表5 一般工业固体废物自行利用环节记录表",
        "own-use records",
        (
            ("#", "序号"),
            ("date", "利用日期"),
            ("yard", "场所"),
            ("name", "固体废物名称"),
            ("code", "固体废物代码"),
            ("tonnes", "利用量（吨）"),
            ("document", "利用方式/凭证"),
            ("attestation", "认定状态"),
            ("recorded_by", "经办人"),
        ),
    ),
    (
        "own_disposal",
        "表6 一般工业固体废物自行处置环节记录表",
        "own-disposal records",
        (
            ("#", "序号"),
            ("date", "处置日期"),
            ("yard", "场所"),
            ("name", "固体废物名称"),
            ("code", "固体废物代码"),
            ("kind", "处置方式"),
            ("tonnes", "处置量（吨）"),
            ("document", "凭证"),
            ("attestation", "认定状态"),
            ("recorded_by", "经办人"),
        ),
    ),
    (
        "contracted",
        "表7 一般工业固体废物委托利用/处置环节记录表",
        "contracted-out records",
        (
            ("#", "序号"),
            ("date", "出厂日期"),
            ("manifest_no", "转移联单编号"),
            ("yard", "产生场所"),
            ("name", "固体废物名称"),
            ("code", "固体废物代码"),
            ("tonnes", "委托量（吨）"),
            ("way", "委托方式"),
            ("use", "利用方式"),
            ("recycler", "受托单位"),
            ("plant", "受托场所"),
            ("place", "受托场所所在地"),
            ("contract_id", "合同编号"),
            ("truck_plate", "车牌号"),
            ("driver", "驾驶员"),
            ("received_t", "接收量（吨）"),
            ("received_on", "接收日期"),
            ("ticket", "磅单"),
        ),
    ),
)
_KIND_ZH = {"treatment": "无害化处理", "disposal": "填埋处置"}
_ATTEST_ZH = {"attested": "已认定", "pending": "待认定", "rejected": "未认定", "not_required": ""}


def cell(key: str, row: Mapping[str, Any], sheet: bool = True) -> Any:
    """A table cell as printed: kinds and attestation states in Chinese, text neutralised."""
    value = row.get(key)
    if key == "kind":
        return _KIND_ZH.get(str(value), value)
    if key == "attestation":
        return _ATTEST_ZH.get(str(value), value)
    if isinstance(value, str) and sheet:
        return neutralise(value)
    return value


def workbook(data: Mapping[str, Any]) -> bytes:
    wb = Workbook()
    cover = wb.active
    cover.title = "封面"
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="E8EEF4")
    lines = [
        ("一般工业固体废物管理台账", ""),
        ("产废单位 producer", data["organisation"]),
        ("场所 yards", "、".join(data["yards"])),
        ("期间 period", f"{data['period']}（{data['start']} 至 {data['end']}）"),
        ("依据 guideline", data["guideline"]),
        (
            "数据来源 source",
            "wastematch 台账（哈希链）、转移联单、接收确认与合同；数字与监管审计一致",
        ),
        ("生成时间 made at", f"{data['made_at']}（北京时间）"),
        (
            "废物代码 waste codes",
            f"《固体废物分类与代码目录》（2024）；{UNVERIFIED_CODE}表示尚未核实",
        ),
    ]
    for i, (k, v) in enumerate(lines, start=1):
        cover.cell(row=i, column=1, value=k).font = Font(bold=True, size=14 if i == 1 else 11)
        cover.cell(row=i, column=2, value=neutralise(v))
    cover.column_dimensions["A"].width = 24
    cover.column_dimensions["B"].width = 90
    for key, title, title_en, columns in SHEETS:
        ws = wb.create_sheet(title.split(" ")[0])
        ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
        ws.cell(row=2, column=1, value=f"{title_en} · {data['organisation']} · {data['period']}")
        for j, (_k, header) in enumerate(columns, start=1):
            c = ws.cell(row=3, column=j, value=header)
            c.font = Font(bold=True)
            c.fill = head_fill
            c.border = border
            c.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[get_column_letter(j)].width = max(10, min(28, len(header) * 2 + 2))
        rows = data[key]
        for i, row in enumerate(rows, start=1):
            for j, (k, _h) in enumerate(columns, start=1):
                value = i if k == "#" else cell(k, row)
                c = ws.cell(row=3 + i, column=j, value=value)
                c.border = border
                if isinstance(value, float):
                    c.number_format = "#,##0.000"
        if key == "flows" and rows:
            total_row = 4 + len(rows)
            ws.cell(row=total_row, column=2, value="合计").font = Font(bold=True)
            for j, (k, _h) in enumerate(columns, start=1):
                if k in data["totals"]:
                    c = ws.cell(row=total_row, column=j, value=data["totals"][k])
                    c.font = Font(bold=True)
                    c.number_format = "#,##0.000"
        ws.freeze_panes = "A4"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filename(data: Mapping[str, Any]) -> str:
    who = f"site{data['site_id']}" if data["site_id"] else f"org{data['organisation_id']}"
    return f"statutory-ledger-{who}-{data['period']}.xlsx"
