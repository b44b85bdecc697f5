// wastematch front-end glue. No inline scripts anywhere (the CSP forbids them): every page's
// behaviour hangs off data-* attributes read here.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // the points keep apart from both prefecture ramps (red for stock, warm-to-green for rates)
  var COLORS = { yard: "#3d4f7a", plant: "#0f5f73", lot: "#3d4f7a", offer: "#0f5f73" };
  var RAMP_GOOD_LOW = ["#f4f1de", "#e07a5f", "#8d2e1a"];
  var RAMP_GOOD_HIGH = ["#d9825b", "#f1e4b3", "#8cc59b", "#1d6f42"];

  // Charts draw on a canvas, in the app's own web font (vendor/noto-sans-sc): a canvas only uses a
  // web font whose pieces are loaded, so each chart asks for the pieces its text needs and draws
  // again once they are there.
  var FONT = '"Noto Sans SC Variable", "Noto Sans CJK SC", "Noto Sans SC", sans-serif';

  function withFont(chart, option) {
    if (!document.fonts || !document.fonts.load) { return; }
    var text = JSON.stringify(option).replace(/[\x00-\x7f]/g, "") + "0123456789abc";
    document.fonts.load('12px "Noto Sans SC Variable"', text).then(function () {
      if (!chart.isDisposed()) { chart.resize(); }
    }, function () {});
  }

  // Tooltips are drawn by ECharts itself on the canvas (renderMode "richText"): its HTML tooltips
  // set style attributes the Content-Security-Policy (style-src 'self') refuses, and text drawn on a
  // canvas cannot carry markup from names users typed.
  var TOOLTIP = {
    renderMode: "richText", confine: true, backgroundColor: "rgba(255,255,255,0.96)",
    borderColor: "#8a9a8a", borderWidth: 1, padding: [6, 8],
    textStyle: { color: "#1f2a24", fontFamily: FONT, fontSize: 12 }
  };

  function tooltip(extra) { return Object.assign({}, TOOLTIP, extra || {}); }

  // one way to write numbers: grouped thousands, at most `digits` decimals (web/format.py in JS)
  function number(v, digits) {
    if (v == null || v !== v) { return "—"; }
    return Number(v).toLocaleString(zh() ? "zh-CN" : "en", { maximumFractionDigits: digits == null ? 1 : digits });
  }

  function zh() { return document.documentElement.lang.indexOf("zh") === 0; }

  // Draws Yunnan's prefectures from the seed boundaries and, on top, the points the page's
  // data source lists. `renderers` lets a page add its own series (routes, choropleths).
  function drawMap(el, data) {
    if (typeof echarts === "undefined") { return null; }
    echarts.registerMap("yunnan", data.prefectures);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var byKind = {};
    (data.sites || []).forEach(function (s) {
      (byKind[s.kind] = byKind[s.kind] || []).push({
        name: s.name, value: [s.lon, s.lat], organisation: s.organisation,
        place: (s.prefecture || "") + " " + (s.county || "")
      });
    });
    var label = { yard: zh() ? "堆场（产废）" : "Yards (producers)", plant: zh() ? "工厂（利用）" : "Plants (recyclers)" };
    var series = Object.keys(byKind).map(function (kind) {
      return {
        name: label[kind] || kind, type: "scatter", coordinateSystem: "geo", data: byKind[kind],
        symbol: kind === "yard" ? "triangle" : "circle", symbolSize: 10,
        itemStyle: { color: COLORS[kind] || "#345" }
      };
    });
    (data.extraSeries || []).forEach(function (s) { series.push(s); });
    var regions = (data.regionValues || []).map(function (r) { return { name: r.name, value: r.value }; });
    var option = {
      textStyle: { fontFamily: FONT },
      tooltip: tooltip({
        trigger: "item",
        formatter: function (p) {
          if (p.seriesType === "scatter" && p.data) {
            return [p.data.name, p.data.organisation || "", p.data.place || ""].join("\n");
          }
          if (p.seriesType === "lines" && p.data) { return String(p.data.label || ""); }
          var unit = data.regionUnit ? (data.regionUnit === "%" ? "%" : " " + data.regionUnit) : "";
          return String(p.name) + (p.value === p.value && p.value != null ? ": " + number(p.value) + unit : "");
        }
      }),
      legend: { bottom: 0 },
      geo: {
        map: "yunnan", roam: true, nameProperty: "name",
        itemStyle: { areaColor: "#eef2ec", borderColor: "#8a9a8a" },
        emphasis: { itemStyle: { areaColor: "#dde8d8" }, label: { show: true } },
        label: { show: true, fontSize: 10, color: "#556" }
      },
      series: series
    };
    // the legend names what the points are, in the points' own colours and shapes; the prefectures'
    // colours have their own key (the visualMap), so the map series stays out of the legend
    option.legend.data = series.map(function (s) { return s.name; });
    if (regions.length) {
      option.visualMap = {
        min: data.regionMin || 0, max: data.regionMax || Math.max.apply(null, regions.map(function (r) { return r.value || 0; })) || 1,
        left: "left", bottom: 30, text: [data.regionLabel || "", ""], calculable: true,
        textStyle: { fontFamily: FONT },
        formatter: function (v) { return number(v) + (data.regionUnit === "%" ? "%" : ""); },
        // more is worse (stock, flags): pale to deep red; a rate, where more is better: warm to green
        inRange: { color: data.regionGood === "high" ? RAMP_GOOD_HIGH : RAMP_GOOD_LOW }, seriesIndex: series.length
      };
      series.push({ type: "map", geoIndex: 0, data: regions, name: data.regionLabel || "" });
    }
    chart.setOption(option);
    withFont(chart, option);
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.ready = "true";
    return chart;
  }

  function initMaps(root) {
    (root || document).querySelectorAll("[data-map-src], .map[data-src]").forEach(function (el) {
      if (el.dataset.ready) { return; }
      var src = el.getAttribute("data-map-src") || el.getAttribute("data-src");
      fetch(src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) { drawMap(el, data); });
    });
  }

  window.wastematch = {
    drawMap: drawMap, initMaps: initMaps, csrfToken: csrfToken,
    FONT: FONT, withFont: withFont, tooltip: tooltip, number: number
  };
  document.addEventListener("DOMContentLoaded", function () { initMaps(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { initMaps(evt.target); });
})();

// Marketplace pages: forms refused by the server (422) swap back in with the messages beside the
// fields; other errors show the server's message above the page; buttons may ask first
// (data-confirm); small route maps (data-route-src) share one download of the prefectures.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr.status;
    if (status === 422) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    } else if (status >= 400) {
      var doc = new DOMParser().parseFromString(evt.detail.xhr.responseText || "", "text/html");
      var message = doc.querySelector(".error-page .error, .error");
      showAlert(message ? message.textContent : "HTTP " + status);
    }
  });

  function showAlert(text) {
    var box = document.getElementById("page-alert");
    if (!box) {
      box = document.createElement("p");
      box.id = "page-alert";
      box.className = "error page-alert";
      box.setAttribute("role", "alert");
      var main = document.querySelector("main");
      if (main) { main.insertBefore(box, main.firstChild); }
    }
    box.textContent = text;
  }

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  var prefectures = {};

  function loadPrefectures(src) {
    if (!prefectures[src]) {
      prefectures[src] = fetch(src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); });
    }
    return prefectures[src];
  }

  function initRouteMaps(root) {
    (root || document).querySelectorAll("[data-route-src]").forEach(function (el) {
      if (el.dataset.ready) { return; }
      el.dataset.ready = "loading";
      fetch(el.getAttribute("data-route-src"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          return loadPrefectures(data.prefecturesSrc).then(function (geo) {
            data.prefectures = geo;
            var chart = window.wastematch.drawMap(el, data);
            if (chart && data.center) {
              chart.setOption({
                geo: { center: data.center, zoom: data.zoom || 1 },
                legend: { show: false }
              });
            }
          });
        })
        .catch(function () { el.dataset.ready = "failed"; });
    });
  }

  window.wastematch.initRouteMaps = initRouteMaps;
  document.addEventListener("DOMContentLoaded", function () { initRouteMaps(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { initRouteMaps(evt.target); });
})();

// The regulator's drawdown charts: an element with data-chart-src gets a line chart from the JSON
// there ({x, axes, series: [{name, data, type?, axis?, dashed?}], highlight?: [from, to]}).
(function () {
  "use strict";

  function drawChart(el, spec) {
    if (typeof echarts === "undefined") { return null; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var series = (spec.series || []).map(function (s) {
      return {
        name: s.name, type: s.type || "line", data: s.data, yAxisIndex: s.axis || 0,
        showSymbol: false, connectNulls: true,
        lineStyle: s.dashed ? { type: "dashed", width: 2 } : { width: 2 },
        barMaxWidth: 14, itemStyle: s.type === "bar" ? { opacity: 0.45 } : undefined
      };
    });
    if (spec.highlight && series.length) {
      series[0].markArea = {
        silent: true, itemStyle: { color: "rgba(29, 111, 66, 0.08)" },
        data: [[{ xAxis: spec.highlight[0] }, { xAxis: spec.highlight[1] }]]
      };
    }
    var w = window.wastematch;
    var option = {
      textStyle: { fontFamily: w.FONT },
      title: { text: spec.title || "", left: "center", textStyle: { fontSize: 13 } },
      tooltip: w.tooltip({ trigger: "axis", valueFormatter: function (v) { return w.number(v); } }),
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 56, right: 64, top: 40, bottom: 56 },
      xAxis: { type: "category", data: spec.x || [] },
      yAxis: (spec.axes || [""]).map(function (name, i) {
        return { type: "value", name: name, position: i ? "right" : "left", splitLine: { show: i === 0 } };
      }),
      series: series
    };
    chart.setOption(option);
    w.withFont(chart, option);
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.points = String((spec.x || []).length);
    el.dataset.ready = "true";
    return chart;
  }

  function initCharts(root) {
    (root || document).querySelectorAll("[data-chart-src]").forEach(function (el) {
      if (el.dataset.ready || el.dataset.loading) { return; }
      el.dataset.loading = "true";
      fetch(el.getAttribute("data-chart-src"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (spec) { drawChart(el, spec); });
    });
  }

  window.wastematch = window.wastematch || {};
  window.wastematch.drawChart = drawChart;
  window.wastematch.initCharts = initCharts;
  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { initCharts(evt.target); });
})();

// Planning pages. The drawdown chart (data-plan-chart: {x, series: [{name, data, total?}], zero,
// unit, title}): stock month by month, the province bold, with the zero line. The siting map
// (data-siting-map: the map data source; data-points: candidates) draws the sites and the
// candidates coloured by the stock they absorb, excluded ones as grey diamonds.
(function () {
  "use strict";

  function tonnes(v) { return window.wastematch.number(v, 0); }

  // an htmx swap can take a chart's element away: then the chart goes too, not just its pixels
  function followResize(chart, el) {
    function onResize() {
      if (document.body.contains(el)) { chart.resize(); return; }
      window.removeEventListener("resize", onResize);
      chart.dispose();
    }
    window.addEventListener("resize", onResize);
  }

  function drawPlanChart(el) {
    if (typeof echarts === "undefined") { return null; }
    var spec = JSON.parse(el.getAttribute("data-plan-chart") || "{}");
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var series = (spec.series || []).map(function (s) {
      return {
        name: s.name, type: "line", data: s.data, showSymbol: false, z: s.total ? 3 : 2,
        lineStyle: { width: s.total ? 3 : 1.5 }, emphasis: { focus: "series" }
      };
    });
    if (series.length) {
      series[0].markLine = {
        silent: true, symbol: "none", data: [{ yAxis: 0 }],
        lineStyle: { color: "#a61b1b", type: "dashed", width: 1.5 },
        label: { formatter: spec.zero || "0", position: "insideEndTop", color: "#a61b1b" }
      };
    }
    var w = window.wastematch;
    var option = {
      textStyle: { fontFamily: w.FONT },
      title: { text: spec.title || "", left: "center", textStyle: { fontSize: 13 } },
      tooltip: w.tooltip({ trigger: "axis", valueFormatter: function (v) { return tonnes(v) + " " + (spec.unit || ""); } }),
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 80, right: 24, top: 40, bottom: 56 },
      xAxis: { type: "category", data: spec.x || [], boundaryGap: false },
      yAxis: { type: "value", min: 0, name: spec.unit || "", axisLabel: { formatter: tonnes } },
      series: series
    };
    chart.setOption(option);
    w.withFont(chart, option);
    followResize(chart, el);
    el.dataset.points = String((spec.x || []).length);
    el.dataset.ready = "true";
    return chart;
  }

  // light to dark green along the stock absorbed: absorbing more is good, so no alarm colours
  function ramp(share) {
    var stops = [[233, 242, 226], [140, 197, 155], [23, 84, 52]];
    var x = Math.max(0, Math.min(1, share)) * (stops.length - 1);
    var i = Math.min(stops.length - 2, Math.floor(x));
    var f = x - i;
    var rgb = [0, 1, 2].map(function (k) { return Math.round(stops[i][k] + f * (stops[i + 1][k] - stops[i][k])); });
    return "rgb(" + rgb.join(",") + ")";
  }

  function drawSitingMap(el) {
    var points = JSON.parse(el.getAttribute("data-points") || "[]");
    var zh = document.documentElement.lang.indexOf("zh") === 0;
    var words = zh
      ? { ranked: "候选厂址", excluded: "被排除（保护区）", unreachable: "无可达堆存", absorbs: "新增消纳 ", t: " 吨", zone: "保护区：" }
      : { ranked: "Candidate sites", excluded: "Excluded (protected zone)", unreachable: "Out of reach", absorbs: "absorbs ", t: " t", zone: "zone: " };
    var top = Math.max.apply(null, [1].concat(points.map(function (p) { return p.extra_t || 0; })));
    function item(p, extra) {
      return Object.assign({
        name: (p.rank ? p.rank + ". " : "") + p.name, value: [p.lon, p.lat, p.extra_t],
        place: p.region || ""
      }, extra);
    }
    var ranked = points.filter(function (p) { return p.status === "ranked"; }).map(function (p) {
      var share = (p.extra_t || 0) / top;
      var best = p.rank && p.rank <= 3;
      return item(p, {
        organisation: words.absorbs + tonnes(p.extra_t) + words.t,
        symbolSize: best ? 16 : 6 + 6 * share,
        itemStyle: { color: ramp(share), borderColor: best ? "#17362a" : "#2f5a40", borderWidth: best ? 2 : 1 },
        label: best ? { show: true, position: "right", formatter: p.rank + " " + p.name, fontWeight: "bold", color: "#17362a" } : undefined,
        z: best ? 10 : 5
      });
    });
    var excluded = points.filter(function (p) { return p.status === "excluded"; }).map(function (p) {
      return item(p, { organisation: words.zone + p.zone });
    });
    var unreachable = points.filter(function (p) { return p.status === "unreachable"; }).map(function (p) {
      return item(p, { organisation: words.unreachable });
    });
    var extra = [
      { name: words.ranked, type: "scatter", coordinateSystem: "geo", data: ranked, z: 5, symbol: "circle", itemStyle: { color: ramp(1) } },
      { name: words.excluded, type: "scatter", coordinateSystem: "geo", data: excluded, z: 4, symbol: "diamond", symbolSize: 11, itemStyle: { color: "#8a8f8a", borderColor: "#333", borderWidth: 1 } },
      { name: words.unreachable, type: "scatter", coordinateSystem: "geo", data: unreachable, z: 3, symbolSize: 5, itemStyle: { color: "#c9cfc9" } }
    ];
    fetch(el.getAttribute("data-siting-map"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        data.extraSeries = extra;
        window.wastematch.drawMap(el, data);
        el.dataset.candidates = String(points.length);
      })
      .catch(function () { el.dataset.ready = "failed"; });
  }

  function initPlanning(root) {
    (root || document).querySelectorAll("[data-plan-chart]").forEach(function (el) {
      if (!el.dataset.ready) { drawPlanChart(el); }
    });
    (root || document).querySelectorAll("[data-siting-map]").forEach(function (el) {
      if (!el.dataset.ready && !el.dataset.loading) { el.dataset.loading = "true"; drawSitingMap(el); }
    });
  }

  window.wastematch = window.wastematch || {};
  window.wastematch.initPlanning = initPlanning;
  document.addEventListener("DOMContentLoaded", function () { initPlanning(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { initPlanning(evt.target); });
})();

// Price inputs say in words who pays whom as one types (web/format.py's who_pays, the same words):
// a price is what the recycler pays the producer per tonne; negative, the producer pays.
(function () {
  "use strict";

  function say(label) {
    var input = document.getElementById(label.getAttribute("data-for"));
    if (!input) { return; }
    var raw = String(input.value).trim();
    var v = Number(raw);
    if (raw === "" || !isFinite(v)) { label.textContent = ""; return; }
    var shown = window.wastematch.number(Math.abs(v), 2) + " " + label.getAttribute("data-unit");
    var words = Math.abs(v) < 0.005 ? label.getAttribute("data-pays-none")
      : label.getAttribute(v > 0 ? "data-pays-in" : "data-pays-out").replace("{amount}", shown);
    label.textContent = words;
    label.className = "who-pays-live " + (Math.abs(v) < 0.005 ? "pays-none" : v > 0 ? "pays-in" : "pays-out");
  }

  document.addEventListener("input", function (evt) {
    var id = evt.target && evt.target.id;
    if (!id) { return; }
    document.querySelectorAll('.who-pays-live[data-for="' + id + '"]').forEach(say);
  });
})();
