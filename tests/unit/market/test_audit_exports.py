"""Exports: CSV that Excel opens as UTF-8 without running anything, workbooks with real numbers."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from market.exports import (
    Column,
    Table,
    neutralise,
    phosphogypsum_tables,
    summary_tables,
    to_csv,
    to_xlsx,
)

TABLE = Table(
    "t",
    (
        Column("name", "名称", "name"),
        Column("t", "吨", "tonnes", "tonnes"),
        Column("r", "率", "rate", "rate"),
    ),
    [
        {"name": '=HYPERLINK("http://x","y")', "t": -1500.5, "r": 0.25},
        {"name": "+1+1", "t": 0, "r": None},
        {"name": "@SUM(A1)", "t": 12, "r": 1},
        {"name": "-2+3", "t": None, "r": None},
        {"name": "\tcmd", "t": None, "r": None},
        {"name": "\rcmd", "t": None, "r": None},
        {"name": "-42.5", "t": None, "r": None},
        {"name": "磷石膏 ok", "t": 3.25, "r": 0.5},
    ],
)


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1+1", "'-1+1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-5", "-5"),
        ("-5.25", "-5.25"),
        ("a=1", "a=1"),
        ("", ""),
    ],
)
def test_text_that_would_run_as_a_formula_is_quoted_and_a_negative_number_is_not(text, safe):
    assert neutralise(text) == safe


def test_csv_is_utf8_with_a_bom_and_keeps_numbers_as_numbers():
    raw = to_csv([TABLE], "zh")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["名称", "吨", "率"]
    assert rows[1] == ['\'=HYPERLINK("http://x","y")', "-1500.5", "0.25"]
    assert [r[0] for r in rows[2:]] == [
        "'+1+1",
        "'@SUM(A1)",
        "'-2+3",
        "'\tcmd",
        "'\rcmd",
        "-42.5",
        "磷石膏 ok",
    ]
    assert rows[2][1:] == ["0", ""]


def test_csv_headers_follow_the_language():
    rows = list(csv.reader(io.StringIO(to_csv([TABLE], "en").decode("utf-8-sig"))))
    assert rows[0] == ["name", "tonnes", "rate"]


def test_several_tables_in_one_csv_say_which_table_each_row_is_from():
    other = Table(
        "u", (Column("name", "名称", "name"), Column("x", "X", "x", "int")), [{"name": "n", "x": 7}]
    )
    rows = list(csv.reader(io.StringIO(to_csv([TABLE, other], "en").decode("utf-8-sig"))))
    assert rows[0] == ["table", "name", "tonnes", "rate", "x"]
    assert rows[-1] == ["u", "n", "", "", "7"]


def test_the_workbook_has_a_sheet_per_table_a_frozen_header_and_typed_cells():
    book = load_workbook(io.BytesIO(to_xlsx([TABLE, TABLE], "zh")))
    assert book.sheetnames == ["t", "t-2"]
    ws = book["t"]
    assert [c.value for c in ws[1]] == ["名称", "吨", "率"]
    assert ws.freeze_panes == "B2"
    formula, tonnes, rate = ws[2]
    assert formula.data_type == "s" and formula.value.startswith("=HYPERLINK")
    assert formula.quotePrefix
    assert tonnes.data_type == "n" and tonnes.value == -1500.5
    assert rate.value == 0.25 and rate.number_format == "0.0%"
    assert ws["A8"].value == "-42.5" and ws["A8"].data_type == "s"


def test_the_audit_views_export_every_row():
    summary = {
        "period": "2025",
        "totals": {"generated_t": 10.0, "utilisation_rate": 0.5},
        "by_material": [{"material": "red_mud", "name_zh": "赤泥", "generated_t": 10.0}],
        "by_prefecture": [{"prefecture_code": 530100, "prefecture": "昆明市", "generated_t": 10.0}],
        "by_county": [],
    }
    book = load_workbook(io.BytesIO(to_xlsx(summary_tables(summary), "en")))
    assert len(book.sheetnames) == 4
    assert book.worksheets[1]["B2"].value == "red_mud"
    pg = {
        "period": "2025",
        "rows": [{"organisation": "A", "flags": ["below_trajectory"], "generated_t": 5.0}],
    }
    (table,) = phosphogypsum_tables(pg)
    (row,) = table.rows
    assert row["below_trajectory"] == 1 and row["output_above_allowance"] == 0
    text = to_csv([table], "en").decode("utf-8-sig")
    assert "below_trajectory" in text


SEMICOLON_TABLE = Table(
    "t",
    (Column("name", "名称", "name"), Column("t", "吨", "tonnes", "tonnes")),
    [
        {"name": "yard;=cmd|' /C calc'!A0", "t": 1.5},
        {"name": "a,@SUM(A1);+1", "t": -2},
        {"name": " =1+1", "t": None},
        {"name": "1;-5", "t": None},
        {"name": 'say "hi"; bye', "t": None},
    ],
)


@pytest.mark.parametrize("separator", [",", ";"])
def test_no_csv_cell_reads_as_a_formula_whichever_separator_the_reader_uses(separator):
    text = to_csv([SEMICOLON_TABLE], "en").decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text), delimiter=separator):
        for cell in row:
            start = cell.lstrip(" ")
            # a formula start is allowed only as a plain number ("-5", "-2")
            assert not start.startswith(("=", "+", "@", "\t", "\r")), (separator, cell)
            if start.startswith("-"):
                float(start.replace(",", "."))


def test_a_cell_with_a_semicolon_is_quoted_and_reads_back_whole():
    text = to_csv([SEMICOLON_TABLE], "en").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["yard;'=cmd|' /C calc'!A0", "1.5"]
    assert rows[3] == ["' =1+1", ""]
    assert rows[4] == ["1;-5", ""]
    assert rows[5] == ['say "hi"; bye', ""]
    assert text.splitlines()[1].startswith('"yard;')
