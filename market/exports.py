"""The regulator's views as CSV (for Excel: UTF-8 with a BOM) and as Excel workbooks.

Numbers stay numbers. Text that a spreadsheet would read as a formula (it starts with = + - @, a
tab or a carriage return) is neutralised: quoted with a leading apostrophe in CSV, stored as a
quote-prefixed text cell in the workbook. A negative number is a number, never quoted.

A CSV file may be opened with ";" as its separator (the default where the decimal mark is a
comma), so a cell holding ";" or "," is quoted, and every part of a cell between separators that
would start a formula under either separator is neutralised too (`a;=cmd|...` → `a;'=cmd|...`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from market.audit import FLAGS
from market.catalogue import waste_code

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?", re.ASCII)
BOM = "\ufeff"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: str = "text"
    """text | tonnes | rate | int | flag (0/1)"""

    def title(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Table:
    name: str
    """The sheet's name (Excel allows 31 characters)."""
    columns: tuple[Column, ...]
    rows: Sequence[Mapping[str, Any]]


_SEPARATOR = re.compile(r"([,;])")


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will not evaluate, whether it splits the line at "," or ";".
    Plain numbers written as text ("-5") are left alone: a spreadsheet reads them as the number
    they are, which is harmless."""
    parts = _SEPARATOR.split(text)
    return "".join(
        "'" + part if i % 2 == 0 and _dangerous(part) else part for i, part in enumerate(parts)
    )


def _dangerous(text: str) -> bool:
    start = text.lstrip(" ")
    return start.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(start)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    text = neutralise(value)
    if any(c in text for c in ',;"\r\n') or text != text.strip(" "):
        return '"' + text.replace('"', '""') + '"'
    return text


def cell_value(value: Any) -> Any:
    """What goes in a cell: numbers as numbers, None as empty, lists joined, the rest as text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


# ----------------------------------------------------------------------------- writers


def _merged(tables: Sequence[Table], lang: str) -> Table:
    """Several tables as one: a leading column names the table each row came from."""
    if len(tables) == 1:
        return tables[0]
    columns: list[Column] = [Column("_table", "表", "table")]
    seen = {"_table"}
    for t in tables:
        for c in t.columns:
            if c.key not in seen:
                seen.add(c.key)
                columns.append(c)
    rows = [{"_table": t.name} | dict(r) for t in tables for r in t.rows]
    return Table(tables[0].name, tuple(columns), rows)


def to_csv(tables: Sequence[Table], lang: str = "zh") -> bytes:
    table = _merged(tables, lang)
    # written by hand: the csv module quotes a cell holding its own separator, not one holding
    # the other (";"), which a reader splitting at ";" would then cut into two cells
    lines = [",".join(_csv_cell(c.title(lang)) for c in table.columns)]
    for row in table.rows:
        lines.append(",".join(_csv_cell(cell_value(row.get(c.key))) for c in table.columns))
    return (BOM + "".join(line + "\r\n" for line in lines)).encode("utf-8")


_FORMATS = {"tonnes": "#,##0.0##", "rate": "0.0%", "int": "0", "flag": "0"}
_WIDTHS = {"tonnes": 16, "rate": 10, "int": 10, "flag": 8, "text": 22}


def to_xlsx(tables: Sequence[Table], lang: str = "zh") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    for default in list(wb.worksheets):
        wb.remove(default)
    used: set[str] = set()
    for table in tables:
        ws = wb.create_sheet(_sheet_name(table.name, used))
        for j, c in enumerate(table.columns, start=1):
            head = ws.cell(row=1, column=j, value=c.title(lang))
            head.data_type = "s"
            head.font = Font(bold=True)
            ws.column_dimensions[get_column_letter(j)].width = _WIDTHS.get(c.kind, 14)
        for i, row in enumerate(table.rows, start=2):
            for j, c in enumerate(table.columns, start=1):
                v = cell_value(row.get(c.key))
                cell = ws.cell(row=i, column=j, value=v)
                if isinstance(v, str):
                    # openpyxl would store text starting with "=" as a formula
                    cell.data_type = "s"
                    if _dangerous(v):
                        cell.quotePrefix = True
                elif v is not None and c.kind in _FORMATS:
                    cell.number_format = _FORMATS[c.kind]
        ws.freeze_panes = "B2" if len(table.columns) > 1 else "A2"
        if table.rows:
            ws.auto_filter.ref = ws.dimensions
    if not wb.worksheets:
        wb.create_sheet("empty")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_name(name: str, used: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "sheet"
    candidate, n = clean, 2
    while candidate in used:
        candidate = f"{clean[:28]}-{n}"
        n += 1
    used.add(candidate)
    return candidate


# ----------------------------------------------------------------------------- the views

FIGURE_COLUMNS = (
    Column("generated_t", "产生量（吨）", "generated (t)", "tonnes"),
    Column("utilised_t", "综合利用量（吨）", "utilised (t)", "tonnes"),
    Column("treated_t", "无害化处理量（吨）", "harmlessly treated (t)", "tonnes"),
    Column("consumed_t", "综合消纳量（吨）", "consumed (t)", "tonnes"),
    Column("disposed_t", "处置量（吨）", "disposed (t)", "tonnes"),
    Column("dispatched_t", "外运量（吨）", "dispatched (t)", "tonnes"),
    Column("corrected_t", "更正量（吨）", "corrections (t)", "tonnes"),
    Column("stock_increment_t", "新增堆存量（吨）", "stock increment (t)", "tonnes"),
    Column("opening_stock_t", "期初堆存量（吨）", "opening stock (t)", "tonnes"),
    Column("closing_stock_t", "期末堆存量（台账，吨）", "closing stock, ledger (t)", "tonnes"),
    Column("utilisation_rate", "综合利用率", "utilisation rate", "rate"),
    Column("utilisation_target", "利用率目标", "utilisation target", "rate"),
    Column("consumption_rate", "综合消纳率", "consumption rate", "rate"),
    Column("consumption_target", "消纳率下限", "consumption floor", "rate"),
    Column("transport_co2_t", "运输排放（吨CO2）", "transport CO2 (t)", "tonnes"),
    Column("avoided_co2_t", "替代减排（吨CO2）", "avoided CO2 (t)", "tonnes"),
)


WASTE_CODE_COLUMN = Column("waste_code", "固体废物代码", "waste code")
"""The code of the national 固体废物分类与代码目录 (2024); empty where not yet verified."""


def _with_code(row: Mapping[str, Any]) -> dict[str, Any]:
    return dict(row) | {"waste_code": waste_code(str(row.get("material") or ""))}


def summary_tables(data: Mapping[str, Any]) -> list[Table]:
    period = Column("period", "期间", "period")
    totals = Table(
        "合计 totals", (period, *FIGURE_COLUMNS), [{"period": data["period"]} | data["totals"]]
    )
    material = Table(
        "按物料 by material",
        (
            period,
            Column("material", "物料代码", "material"),
            Column("name_zh", "物料", "material name"),
            WASTE_CODE_COLUMN,
            *FIGURE_COLUMNS,
            Column("p2o5_t", "P2O5 产量（吨）", "P2O5 (t)", "tonnes"),
        ),
        [{"period": data["period"]} | _with_code(r) for r in data["by_material"]],
    )
    prefecture = Table(
        "按州市 by prefecture",
        (
            period,
            Column("prefecture_code", "州市代码", "prefecture code", "int"),
            Column("prefecture", "州市", "prefecture"),
            *FIGURE_COLUMNS,
        ),
        [{"period": data["period"]} | r for r in data["by_prefecture"]],
    )
    county = Table(
        "按县区 by county",
        (
            period,
            Column("prefecture", "州市", "prefecture"),
            Column("county_code", "县区代码", "county code", "int"),
            Column("county", "县区", "county"),
            *FIGURE_COLUMNS,
        ),
        [{"period": data["period"]} | r for r in data["by_county"]],
    )
    return [totals, material, prefecture, county]


FLAG_NAMES = {
    "output_above_allowance": ("P2O5 产量超出配额", "output above allowance"),
    "stock_increment_positive": ("新增堆存量为正", "stock increment positive"),
    "below_trajectory": ("低于消纳轨迹", "below trajectory"),
    "generation_inconsistent": ("产生量与 P2O5 不符", "generation inconsistent"),
    "report_overdue": ("月报逾期", "report overdue"),
    "restated": ("经批准更正", "restated"),
}


def phosphogypsum_tables(data: Mapping[str, Any]) -> list[Table]:
    columns = (
        Column("period", "期间", "period"),
        Column("organisation_id", "单位编号", "organisation_id", "int"),
        Column("organisation", "产废单位", "organisation"),
        Column("generated_t", "产生量 G（吨）", "generated_t", "tonnes"),
        Column("utilised_t", "综合利用量 U（吨）", "utilised_t", "tonnes"),
        Column("treated_t", "无害化处理量 T（吨）", "treated_t", "tonnes"),
        Column("consumed_t", "综合消纳量 C（吨）", "consumed_t", "tonnes"),
        Column("stock_increment_t", "新增堆存量 ΔS（吨）", "stock_increment_t", "tonnes"),
        Column("opening_stock_t", "期初堆存量（吨）", "opening_stock_t", "tonnes"),
        Column("closing_stock_t", "期末堆存量（吨）", "closing_stock_t", "tonnes"),
        Column(
            "ledger_closing_stock_t", "台账期末堆存量（吨）", "ledger_closing_stock_t", "tonnes"
        ),
        Column("p2o5_t", "P2O5 产量 P（吨）", "p2o5_t", "tonnes"),
        Column("ratio", "产渣系数 r", "ratio", "tonnes"),
        Column("implied_generation_t", "推算产生量 P×r（吨）", "implied_generation_t", "tonnes"),
        Column("generation_gap_rate", "产生量偏差", "generation_gap_rate", "rate"),
        Column("consumption_rate", "综合消纳率 C÷G", "consumption_rate", "rate"),
        Column("min_consumption_rate", "消纳率下限", "min_consumption_rate", "rate"),
        Column("p2o5_allowance_t", "本期 P2O5 配额（吨）", "p2o5_allowance_t", "tonnes"),
        Column("next_p2o5_allowance_t", "下期 P2O5 配额（吨）", "next_p2o5_allowance_t", "tonnes"),
        Column("claimed_unattested_t", "待认定自报量（吨）", "claimed_unattested_t", "tonnes"),
        Column("report_status", "月报审核状态", "report_status"),
        Column("flags", "预警", "flags"),
        *(Column(f, FLAG_NAMES[f][0], f, "flag") for f in FLAGS),
    )
    rows = [
        {"period": data["period"]} | r | {f: int(f in r["flags"]) for f in FLAGS}
        for r in data["rows"]
    ]
    return [Table(f"以用定产 {data['period']}", columns, rows)]


def entries_tables(data: Mapping[str, Any]) -> list[Table]:
    columns = (
        Column("id", "条目编号", "entry id", "int"),
        Column("occurred_on", "日期", "date"),
        Column("organisation", "单位", "organisation"),
        Column("site_id", "场地编号", "site id", "int"),
        Column("site", "场地", "site"),
        Column("seq", "序号", "seq", "int"),
        Column("kind", "类型", "kind"),
        Column("material", "物料", "material"),
        WASTE_CODE_COLUMN,
        Column("tonnes", "吨数", "tonnes", "tonnes"),
        Column("stock_effect_t", "堆存变动（吨）", "stock effect (t)", "tonnes"),
        Column("document", "凭证", "document"),
        Column("manifest_no", "联单号", "manifest"),
        Column("recorded_by", "记录人", "recorded by"),
        Column("recorded_at", "记录时间", "recorded at"),
        Column("hash", "哈希", "hash"),
    )
    return [Table("台账条目 entries", columns, [_with_code(e) for e in data["entries"]])]


LEDGER_COLUMNS = (  # a yard's ledger (web/market_pages/ledger.py, market/services/export_jobs.py)
    Column("seq", "序号", "seq", "int"),
    Column("occurred_on", "日期", "date"),
    Column("kind", "类型", "kind"),
    Column("material", "物料", "material"),
    Column("tonnes", "吨数", "tonnes", "tonnes"),
    Column("stock_effect_t", "堆存变动（吨）", "stock effect (t)", "tonnes"),
    Column("running_t", "结存（吨）", "stock after (t)", "tonnes"),
    Column("document", "凭证", "document"),
    Column("delivery_id", "运单编号", "delivery id", "int"),
    Column("recorded_by", "记录人", "recorded by"),
    Column("recorded_at", "记录时间", "recorded at"),
    Column("hash", "哈希", "hash"),
)


def ledger_tables(entries: Sequence[Mapping[str, Any]]) -> list[Table]:
    """A yard's ledger entries, as the page lists them (with the stock after each)."""
    return [Table("台账 ledger", LEDGER_COLUMNS, entries)]


MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
"""The media type of each file format an export is written in."""


def render(tables: Sequence[Table], fmt: str, lang: str = "zh") -> bytes:
    """`tables` as a CSV (`fmt` "csv") or Excel ("xlsx") file."""
    return to_csv(tables, lang) if fmt == "csv" else to_xlsx(tables, lang)


def verify_tables(data: Mapping[str, Any]) -> list[Table]:
    overview = Table(
        "校验 check",
        (
            Column("ok", "通过", "ok", "flag"),
            Column("sites_checked", "场地数", "sites checked", "int"),
            Column("entries_checked", "条目数", "entries checked", "int"),
            Column("breaks", "问题数", "breaks", "int"),
            Column("heads_fingerprint", "链头指纹", "heads fingerprint"),
        ),
        [{**data, "breaks": len(data["breaks"])}],
    )
    breaks = Table(
        "问题 breaks",
        (
            Column("site_id", "场地编号", "site id", "int"),
            Column("site", "场地", "site"),
            Column("seq", "序号", "seq", "int"),
            Column("entry_id", "条目编号", "entry id", "int"),
            Column("problem", "问题", "problem"),
        ),
        data["breaks"],
    )
    heads = Table(
        "链头 heads",
        (
            Column("site_id", "场地编号", "site id", "int"),
            Column("site", "场地", "site"),
            Column("seq", "最后序号", "last seq", "int"),
            Column("hash", "最后哈希", "last hash"),
        ),
        data.get("heads", []),
    )
    return [overview, breaks, heads]
