"""Pages as a person sees them on a machine with no Chinese font and on a phone.

This machine (like CI) has no system CJK font: Chinese shows only through the app's own web font
(web/static/vendor/noto-sans-sc). Every page of every demo role is walked at 390 px wide, the
width of a common phone, and none may scroll sideways.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import log_in_page

pytestmark = pytest.mark.browser

ROLES = ["producer-demo", "recycler-demo", "operator-demo", "evaluator-demo", "regulator-demo"]
PHONE = {"width": 390, "height": 844}

# Two different characters drawn on a canvas in a font: with a real Chinese font they differ;
# where no font has them, both are the same "tofu" box.
GLYPHS_DIFFER = """async (family) => {
    await document.fonts.ready;
    await document.fonts.load('32px "' + family + '"', "固废");
    function draw(ch) {
        const c = document.createElement("canvas");
        c.width = 48; c.height = 48;
        const g = c.getContext("2d");
        g.font = '32px "' + family + '"';
        g.fillText(ch, 4, 38);
        return {pixels: Array.from(g.getImageData(0, 0, 48, 48).data).join(","),
                width: g.measureText(ch).width};
    }
    const a = draw("固"), b = draw("废");
    return {differ: a.pixels !== b.pixels, width: a.width};
}"""


def _page(browser: Any, server: Any, username: str, **context: Any) -> Any:
    ctx = browser.new_context(base_url=server.url, locale="zh-CN", **context)
    # every refusal by the Content-Security-Policy is recorded
    ctx.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    log_in_page(page, server, username)
    return page


def test_chinese_text_is_drawn_in_the_apps_own_font_not_as_boxes(browser, live_server):
    page = _page(browser, live_server, "producer-demo")
    try:
        page.goto("/lots")
        page.evaluate("document.fonts.ready")
        drawn = page.evaluate(GLYPHS_DIFFER, "Noto Sans SC Variable")
        assert drawn["differ"], "固 and 废 look the same: boxes, not Chinese"
        assert page.evaluate("document.fonts.check('16px \"Noto Sans SC Variable\"', '固废')")
        # the heading's characters came from woff2 files the app served itself
        loaded = page.evaluate(
            """() => performance.getEntriesByType("resource")
                   .map(e => e.name).filter(n => n.endsWith(".woff2"))"""
        )
        assert loaded and all(
            n.startswith(live_server.url + "/static/vendor/noto-sans-sc/files/") for n in loaded
        ), loaded
        family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
        assert family.startswith('"Noto Sans SC Variable"')
    finally:
        page.context.close()


def test_the_map_draws_its_labels_in_the_apps_font_and_its_tooltips_on_the_canvas(
    browser, live_server
):
    page = _page(browser, live_server, "regulator-demo")
    try:
        page.goto("/audit")
        page.wait_for_selector("#audit-map[data-ready=true]")
        option = page.evaluate(
            """() => {
                const el = document.getElementById("audit-map");
                const o = echarts.getInstanceByDom(el).getOption();
                const t = [].concat(o.textStyle)[0], tip = [].concat(o.tooltip)[0];
                return {family: t.fontFamily, tooltip: tip.renderMode};
            }"""
        )
        assert option["family"].startswith('"Noto Sans SC Variable"')
        # drawn by ECharts on the canvas: no HTML tooltip with style attributes the CSP refuses
        assert option["tooltip"] == "richText"
        page.wait_for_selector("#drawdown-chart[data-ready=true]")
        shown = page.evaluate(
            """() => {
                const chart = echarts.getInstanceByDom(document.getElementById("drawdown-chart"));
                chart.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: 1});
                return chart.getZr().storage.getDisplayList(true)
                    .map(e => (e.style && e.style.text) || "").join("|");
            }"""
        )
        assert shown.strip("|"), "the tooltip is drawn"
        page.wait_for_timeout(300)
        assert page.evaluate("window.__cspViolations") == []
    finally:
        page.context.close()


MAP_KEY = """() => {
    const o = echarts.getInstanceByDom(document.getElementById("audit-map")).getOption();
    const map = o.series.find(s => s.type === "map");
    return {legend: o.legend[0].data, colours: o.visualMap[0].inRange.color,
            mapName: map ? map.name : null,
            points: o.series.filter(s => s.type === "scatter")
                     .map(s => [s.name, s.itemStyle.color])};
}"""


def test_the_map_legend_shows_the_points_and_a_rate_runs_to_green_not_red(browser, live_server):
    page = _page(browser, live_server, "regulator-demo")
    try:
        page.goto("/audit?metric=rate")
        page.wait_for_selector("#audit-map[data-ready=true]")
        key = page.evaluate(MAP_KEY)
        # the prefectures' colours have their own key: the map series is not in the legend
        assert key["mapName"] and key["mapName"] not in key["legend"]
        assert [name for name, _ in key["points"]] == key["legend"]
        # utilisation: the highest rate (good) is green, the lowest warm
        assert key["colours"][-1].lower() == "#1d6f42"
        page.goto("/audit?metric=stock")
        page.wait_for_selector("#audit-map[data-ready=true]")
        # stock: more is worse, pale to deep red
        assert page.evaluate(MAP_KEY)["colours"][-1].lower() == "#8d2e1a"
    finally:
        page.context.close()


def _nav_paths(page: Any) -> list[str]:
    paths = page.evaluate(
        """() => Array.from(document.querySelectorAll("header nav a"))
                   .map(a => a.getAttribute("href"))"""
    )
    return list(dict.fromkeys(p for p in paths if p and p.startswith("/")))


def _first_detail(page: Any, selector: str) -> list[str]:
    href = page.evaluate(
        "(s) => { const a = document.querySelector(s); return a && a.getAttribute('href'); }",
        selector,
    )
    return [href] if href else []


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_a_role_fits_a_390px_phone_without_sideways_scroll(
    browser, live_server, username
):
    page = _page(browser, live_server, username, viewport=PHONE, is_mobile=True)
    try:
        paths = _nav_paths(page)
        assert len(paths) >= 4, paths
        # and the pages one level down that the nav's lists lead to
        for listing, link in [
            ("/lots", "main a[href^='/lots/']"),
            ("/contracts", "main a[href^='/contracts/']"),
            ("/match-runs", "main a[href^='/match-runs/']"),
            ("/review/reports", "main a[href^='/review/reports/']"),
        ]:
            if listing in paths:
                page.goto(listing)
                paths += _first_detail(page, link)
        wide, squeezed = {}, {}
        for path in paths:
            answer = page.goto(path)
            assert answer is not None and answer.status == 200, (path, answer and answer.status)
            page.wait_for_load_state("load")
            page.wait_for_timeout(150)  # maps and charts size themselves
            sizes = page.evaluate(
                """() => ({scroll: document.documentElement.scrollWidth,
                          client: document.documentElement.clientWidth,
                          culprits: Array.from(document.querySelectorAll("body *"))
                            .filter(e => e.getBoundingClientRect().right
                                         > document.documentElement.clientWidth + 1)
                            .filter(e => !e.parentElement.closest("table"))
                            .slice(0, 3)
                            .map(e => e.tagName + "." + e.className + "#" + e.id)})"""
            )
            if sizes["scroll"] > sizes["client"]:
                wide[path] = sizes
            # a table scrolls inside its card rather than squeezing its columns to a character
            narrow = page.evaluate(
                """() => Array.from(document.querySelectorAll("table.data th"))
                    .filter(th => th.textContent.trim().length > 1
                                  && th.getBoundingClientRect().width < 28)
                    .map(th => th.textContent.trim()).slice(0, 3)"""
            )
            if narrow:
                squeezed[path] = narrow
        assert wide == {}, wide
        assert squeezed == {}, squeezed
    finally:
        page.context.close()


def _shared_active_contract(server: Any) -> int:
    """A contract between producer-demo's and recycler-demo's organisations: the operator runs a
    match, the recycler bids on a proposal joining the two, the producer accepts."""
    with server.client(server.token("operator-demo")) as operator:
        ran = operator.post("/api/v1/match-runs", json={})
        assert ran.status_code in (200, 201), ran.text
    with (
        server.client(server.token("producer-demo")) as producer,
        server.client(server.token("recycler-demo")) as recycler,
    ):
        mine = {lot["id"] for lot in producer.get("/api/v1/lots?mine=true").json()["lots"]}
        for p in recycler.get("/api/v1/proposals").json()["proposals"]:
            if p["lot_id"] not in mine or p.get("bid"):
                continue
            bid = recycler.post(
                f"/api/v1/proposals/{p['id']}/bids", json={"price_cny_t": 1, "tonnes": 100}
            )
            if bid.status_code != 201:
                continue
            accepted = producer.post(f"/api/v1/bids/{bid.json()['id']}/accept")
            if accepted.status_code in (200, 201):
                return int(accepted.json()["id"])
    pytest.fail("no proposal of the demo joins the two demo organisations: the demo data changed")


def test_a_recycler_confirms_a_receipt_at_the_weighbridge_on_a_phone_and_is_told_so(
    browser, live_server
):
    contract_id = _shared_active_contract(live_server)
    with live_server.client(live_server.token("producer-demo")) as producer:
        sent = producer.post(
            f"/api/v1/contracts/{contract_id}/deliveries",
            json={"manifest_no": "PHONE-390-001", "tonnes": 30, "truck_plate": "云A·P3901"},
        )
        assert sent.status_code == 201, sent.text
        delivery_id = sent.json()["id"]
    page = _page(
        browser, live_server, "recycler-demo", viewport=PHONE, is_mobile=True, has_touch=True
    )
    try:
        page.goto("/receipts")
        form = page.locator(f"#receipt-{delivery_id}")
        field = form.locator("input[name=received_tonnes]")
        assert field.get_attribute("min") == "0" and field.get_attribute("step") == "0.001"
        field.fill("29.96")
        # the button is within reach: the form fits the phone's width
        box = form.locator("button[type=submit]").bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
        form.locator("button[type=submit]").tap()
        said = page.locator("p.flash")
        said.wait_for()
        assert said.inner_text().startswith(f"转移联单 #{delivery_id} 已确认收货。")
        assert said.locator("a").get_attribute("href") == f"/contracts/{contract_id}"
        assert page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    finally:
        page.context.close()
