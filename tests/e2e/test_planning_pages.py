"""The planner and the siting analysis in a real browser over the demo data: both run, draw their
chart and map, and show real numbers; a refused field comes back beside the field with what was
typed; the JSON API answers the same questions over HTTP."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import DESK, logged_in_fixture
from tests.support.live import LiveServer

WAIT_MS = 30_000
TONNES = re.compile(r"^\d{1,3}(,\d{3})+$")


regulator = logged_in_fixture("regulator-demo", "/audit/planner", wait_ms=WAIT_MS, viewport=DESK)


@pytest.mark.browser
def test_the_planner_charts_the_phosphogypsum_stock_and_names_the_bottlenecks(regulator: Page):
    page = regulator
    page.goto("/audit/planner")
    pg = page.locator("section.plan-material[data-material=phosphogypsum]")
    expect(pg.locator("[data-kpi=stock-now] .v")).to_contain_text(
        re.compile(r"\d{1,3},\d{3},\d{3}")
    )
    expect(pg.locator("[data-kpi=zero] .v")).to_have_text(
        re.compile(r"^(\d{4}-\d{2}|规划期内无法清零)$")
    )
    expect(pg.locator(".plan-chart[data-ready=true] canvas")).to_have_count(1)
    expect(pg.locator(".plan-chart")).to_have_attribute("data-points", "37")
    rows = pg.locator("table.plan-producers tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first.locator("td").nth(2)).to_have_text(TONNES)
    bottlenecks = page.locator(".plan-bottlenecks tr.bottleneck")
    expect(bottlenecks.first).to_be_visible()
    expect(bottlenecks.first.locator("td").nth(5)).to_have_text(re.compile(r"^\d+\.\d%$"))

    # a shorter horizon with red mud too, through htmx: two charts, the URL kept for a bookmark
    page.fill("#f-horizon_months", "12")
    page.check("input[name=materials][value=red_mud]")
    page.click("#planner button[type=submit]")
    expect(page.locator(".plan-chart[data-ready=true]")).to_have_count(2)
    expect(page.locator(".plan-chart").first).to_have_attribute("data-points", "13")
    expect(page).to_have_url(re.compile(r"horizon_months=12.*materials=red_mud"))


@pytest.mark.browser
def test_siting_ranks_county_centres_by_the_stock_a_new_plant_absorbs(
    regulator: Page, tmp_path: Path
):
    page = regulator
    page.goto("/audit/siting")
    zones = tmp_path / "zones.geojson"
    zones.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "示例保护区"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [
                                    [102.3, 24.8],
                                    [102.6, 24.8],
                                    [102.6, 25.05],
                                    [102.3, 25.05],
                                    [102.3, 24.8],
                                ]
                            ],
                        },
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    page.select_option("#f-material", "phosphogypsum")
    page.fill("#f-capacity_t_per_year", "500000")
    page.select_option("#f-source", "stock")
    page.set_input_files("#f-zones", str(zones))
    page.click("#siting button[type=submit]")

    expect(page.locator(".siting-map[data-ready=true] canvas")).to_have_count(1)
    first = page.locator("table.siting-ranking tbody tr").first
    expect(first.locator("td").nth(0)).to_have_text("1")
    expect(first.locator("td.absorbed")).to_have_text("500,000")
    excluded = page.locator("table.siting-excluded tbody tr")
    expect(excluded.first).to_contain_text("示例保护区")
    expect(page.locator("table.siting-excluded")).to_contain_text("安宁市")
    expect(page.locator("[data-kpi=unmatched] .v")).to_contain_text(re.compile(r"\d{1,3},\d{3}"))

    # a refused line comes back beside its field, with everything typed kept
    page.fill("#f-candidates", "园区甲, 24.9, 102.4\n园区乙, 北纬")
    page.click("#siting button[type=submit]")
    expect(page.locator("label:has(#f-candidates) .field-error")).to_contain_text("第 2 行")
    expect(page.locator("#f-candidates")).to_have_value("园区甲, 24.9, 102.4\n园区乙, 北纬")
    expect(page.locator("#f-capacity_t_per_year")).to_have_value("500000")


def test_the_planning_api_answers_over_http(live_server: LiveServer):
    token = live_server.token("regulator-demo")
    with live_server.client(token) as c:
        plan = c.post("/api/v1/planning/drawdown", json={"horizon_months": 24})
        assert plan.status_code == 200, plan.text
        body = plan.json()
        pg = next(m for m in body["materials"] if m["material"] == "phosphogypsum")
        assert len(pg["stock_t"]) == 25 and pg["stock_t"][0] > 10_000_000
        assert any(p["bottleneck"] for p in body["plants"])
        sites = c.post(
            "/api/v1/planning/siting",
            json={"material": "phosphogypsum", "capacity_t_per_year": 500000, "source": "stock"},
        )
        assert sites.status_code == 200, sites.text
        best = sites.json()["candidates"][0]
        assert best["rank"] == 1 and best["extra_matched_t"] == 500_000
        bad = c.post("/api/v1/planning/siting", json={"material": "phosphogypsum"})
        assert bad.status_code == 422
        assert bad.json()["error"]["field"] == "capacity_t_per_year"
    producer = live_server.token("producer-demo")
    with live_server.client(producer) as c:
        assert c.post("/api/v1/planning/drawdown", json={}).status_code == 403
