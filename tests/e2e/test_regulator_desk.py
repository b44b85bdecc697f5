"""The regulator's desk in a real browser over the demo data: the dashboard's figures, map and
chart render with real numbers, the 以用定产 table flags the demo's two problem producers, a
figure opens the entries behind it, and the ledger verifies."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import DESK, logged_in_fixture

pytestmark = pytest.mark.browser

WAIT_MS = 20_000
DIGITS = re.compile(r"\d[\d,]*(\.\d+)?")


regulator = logged_in_fixture("regulator-demo", "/audit", wait_ms=WAIT_MS, viewport=DESK)


def test_the_dashboard_shows_the_latest_complete_year_with_a_map_and_a_chart(regulator: Page):
    page = regulator
    page.goto("/audit")
    expect(page.locator(".period-note")).to_contain_text("2025")
    expect(page.locator(".period-note")).to_contain_text("最近的完整年度")
    expect(page.locator("[data-kpi=generated] .v")).to_have_text(DIGITS)
    expect(page.locator("[data-kpi=utilisation-rate] .v")).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(page.locator("[data-kpi=utilisation-rate]")).to_contain_text("60.0%")
    expect(page.locator("[data-kpi=flags] .v")).to_have_text(re.compile(r"^[1-9]\d*$"))

    expect(page.locator("#audit-map[data-ready=true] canvas")).to_have_count(1)
    chart = page.locator("#drawdown-chart[data-ready=true]")
    expect(chart.locator("canvas")).to_have_count(1)
    assert int(chart.get_attribute("data-points") or 0) >= 24  # two years of months

    # switching the map to the flags redraws the desk in place (htmx) with a fresh map
    page.select_option("select[name=metric]", "flags")
    expect(page.locator("#audit-map[data-ready=true]")).to_have_attribute(
        "data-map-src", re.compile("metric=flags")
    )
    expect(page.locator("#audit-map canvas")).to_have_count(1)
    expect(page.locator("#by-material tr[data-material=phosphogypsum] td.num").first).to_have_text(
        DIGITS
    )


def test_the_phosphogypsum_table_flags_the_demos_problem_producers(regulator: Page):
    page = regulator
    page.goto("/audit/phosphogypsum")
    rows = page.locator("#pg-table tbody tr")
    expect(rows).to_have_count(5)
    kaiyuan = rows.filter(has_text="开远")
    expect(kaiyuan.locator("[data-flag=below_trajectory]")).to_have_count(1)
    expect(kaiyuan.locator("[data-flag=stock_increment_positive]")).to_have_count(1)
    haikou = rows.filter(has_text="海口")
    expect(haikou.locator("[data-flag=generation_inconsistent]")).to_have_count(1)

    # a figure opens the ledger entries behind it
    kaiyuan.locator("td.num a").first.click()
    expect(page.locator("#entries [data-count]")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(page.locator("#entries-table tbody tr").first).to_contain_text("产生")


def test_the_ledger_verifies(regulator: Page):
    page = regulator
    page.goto("/audit/verify")
    expect(page.locator("[data-verify=ok]")).to_be_visible()
