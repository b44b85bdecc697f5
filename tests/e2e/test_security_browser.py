"""Markup in names, in a real browser: the map's tooltips (drawn on the canvas) show a hostile site
or organisation name as text, and no page of the marketplace runs a script or opens a dialog
because of one."""

from __future__ import annotations

import pytest

from tests.support.browser import log_in_page

pytestmark = pytest.mark.browser

PAYLOAD = '"><img src=x onerror=alert(1)><script>alert(2)</script>{{7*7}}'


@pytest.fixture(scope="module")
def hostile_site(live_server):
    with live_server.client(live_server.token("producer-demo")) as c:
        r = c.post("/api/v1/sites", json={"name": "yard " + PAYLOAD, "lat": 24.95, "lon": 102.5})
        assert r.status_code == 201, r.text
        return r.json()


def test_a_hostile_site_name_is_text_in_the_map_tooltip(browser, live_server, hostile_site):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    dialogs: list[str] = []
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        log_in_page(page, live_server, "regulator-demo")
        page.wait_for_selector("#yunnan-map[data-ready=true]")
        # the chart redraws once the web font has loaded, which closes an open tooltip: show it
        # again on every poll until its text is drawn
        show_tip = """() => {
                const el = document.getElementById("yunnan-map");
                const chart = echarts.getInstanceByDom(el);
                const series = chart.getOption().series;
                for (let s = 0; s < series.length; s++) {
                    const data = series[s].data || [];
                    for (let i = 0; i < data.length; i++) {
                        if (data[i] && String(data[i].name).indexOf("onerror") >= 0) {
                            chart.dispatchAction({type: "showTip", seriesIndex: s, dataIndex: i});
                            return true;
                        }
                    }
                }
                return false;
            }"""
        shown = page.evaluate(show_tip)
        assert shown, "the hostile site is on the map"
        # the tooltip is text drawn on the canvas (renderMode "richText"): markup stays text
        drawn_text = """() => {
            const chart = echarts.getInstanceByDom(document.getElementById("yunnan-map"));
            return chart.getZr().storage.getDisplayList(true)
                .map(e => (e.style && e.style.text) || "").join("\\n");
        }"""
        page.wait_for_function(
            f"() => ({show_tip})() && ({drawn_text})().indexOf('onerror') >= 0", polling=500
        )
        tooltip = page.evaluate(
            """() => {
                const el = document.getElementById("yunnan-map");
                return {imgs: el.querySelectorAll("img").length,
                        scripts: el.querySelectorAll("script").length};
            }"""
        )
        assert tooltip == {"imgs": 0, "scripts": 0}, tooltip
        assert "<img src=x onerror=alert(1)>" in page.evaluate(drawn_text)
        for path in ("/lots", "/plants", "/audit", "/audit/entries"):
            page.goto(path)
            page.wait_for_load_state("load")
        assert dialogs == []
    finally:
        context.close()
