"""The 台账 as an Excel workbook: one sheet a table, in the guideline's column order."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from market.exports import neutralise
from market.papers.facts import UNVERIFIED_CODE

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
