// Draws the charts of the Revenue, Renewals, Account 360 and report pages from the JSON the
// page embeds.
// Chart.js is installed by npm and served from /assets/chartjs (no CDN).
(function () {
  "use strict";
  const GREEN = "#1f9d6b", RED = "#d2463c", GREY = "#8a94a6", BLUE = "#3563e9", AMBER = "#e0a526";

  function compact(value, currency) {
    return new Intl.NumberFormat("en", {
      style: "currency", currency: currency || "USD", notation: "compact", maximumFractionDigits: 1,
    }).format(value);
  }
  // On a phone a wide shape leaves the plot a sliver under the legend and the turned labels
  // (the Forecast's projection drew as a flat line): narrow screens get a taller one.
  const NARROW = window.matchMedia("(max-width: 640px)").matches;
  const shape = (wide) => (NARROW ? Math.min(wide, 1.25) : wide);
  if (NARROW && window.Chart) Chart.defaults.aspectRatio = shape(Chart.defaults.aspectRatio || 2);
  const num = (s) => Number(s || 0);
  const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);

  function waterfall(canvas, w, currency) {
    const steps = [
      ["Start", num(w.start_arr), "total"], ["New", num(w.new), "up"],
      ["Reactivation", num(w.reactivation), "up"], ["Expansion", num(w.expansion), "up"],
      ["Contraction", -num(w.contraction), "down"], ["Churn", -num(w.churn), "down"],
      ["End", num(w.end_arr), "total"],
    ];
    let level = 0;
    const bars = steps.map(([label, value, kind]) => {
      if (kind === "total") { level = value; return [0, value]; }
      const from = level; level += value; return [from, level];
    });
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: steps.map((s) => s[0]),
        datasets: [{
          data: bars,
          backgroundColor: steps.map((s) => (s[2] === "total" ? GREY : s[2] === "up" ? GREEN : RED)),
          borderRadius: 3,
        }],
      },
      options: {
        animation: false, plugins: { legend: { display: false },
          tooltip: { callbacks: { label: (c) => compact(steps[c.dataIndex][1], currency) } } },
        scales: { y: { ticks: { callback: (v) => compact(v, currency) } } },
      },
    });
  }

  function trend(canvas, points) {
    const series = (key, label, color) => ({
      label, data: points.map((p) => pct(p[key])), borderColor: color, backgroundColor: color,
      tension: 0.25, pointRadius: 2, spanGaps: true,
    });
    new Chart(canvas, {
      type: "line",
      data: {
        labels: points.map((p) => p.window_end),
        datasets: [series("nrr", "NRR", BLUE), series("grr", "GRR", GREEN),
                   series("logo_retention", "Logo retention", AMBER)],
      },
      options: { animation: false, scales: { y: { ticks: { callback: (v) => v + "%" } } } },
    });
  }

  function movements(canvas, months, currency) {
    const set = (key, label, color, sign) => ({
      label, backgroundColor: color, stack: "m",
      data: months.map((m) => sign * num(m[key])),
    });
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: months.map((m) => m.month),
        datasets: [set("new", "New", GREEN, 1), set("reactivation", "Reactivation", "#58c39a", 1),
                   set("expansion", "Expansion", BLUE, 1), set("contraction", "Contraction", AMBER, -1),
                   set("churn", "Churn", RED, -1)],
      },
      options: {
        animation: false, aspectRatio: shape(3.2), scales: { x: { stacked: true },
          y: { stacked: true, ticks: { callback: (v) => compact(v, currency) } } },
      },
    });
  }

  function atStake(canvas, months, currency) {
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: months.map((m) => m.month),
        datasets: [{ label: "ARR up for renewal", backgroundColor: AMBER, borderRadius: 3,
                     data: months.map((m) => num(m.arr_at_stake)) }],
      },
      options: { animation: false, aspectRatio: shape(4), plugins: { legend: { display: false } },
        scales: { y: { ticks: { callback: (v) => compact(v, currency) } } } },
    });
  }

  // Risk: each customer as a point, churn probability against ARR; the bigger and redder, the
  // more ARR at risk.
  function risk(canvas, d) {
    const points = d.items.map((r) => ({ x: r.probability * 100, y: num(r.arr), name: r.account_name,
      atRisk: num(r.arr_at_risk), id: r.account_id }));
    new Chart(canvas, {
      type: "scatter",
      data: { datasets: [{ label: "Customers", data: points,
        pointRadius: (c) => 3 + Math.min(9, Math.sqrt((c.raw && c.raw.atRisk) || 0) / 60),
        backgroundColor: (c) => (c.raw && c.raw.x >= 40 ? RED : c.raw && c.raw.x >= 20 ? AMBER : GREY) + "b0" }] },
      options: { animation: false, aspectRatio: shape(3), plugins: { legend: { display: false },
          tooltip: { callbacks: { label: (c) => `${c.raw.name}: ${c.raw.x.toFixed(0)}% of ${compact(c.raw.y, d.currency)}` } } },
        onClick: (e, items) => { if (items.length) window.location = `/accounts/${points[items[0].index].id}#churn`; },
        scales: { x: { title: { display: true, text: "Churn probability at next renewal (%)" }, min: 0 },
                  y: { type: "logarithmic", title: { display: true, text: "ARR" },
                       ticks: { callback: (v) => compact(v, d.currency) } } } },
    });
  }

  // Forecast: ARR of today's customers at each quarter's end, the P10–P90 band shaded, and the
  // expected ARR with the weighted pipeline dashed.
  function projection(canvas, d) {
    const labels = ["Today"].concat(d.quarters.map((q) => "End of " + q.label));
    const now = num(d.current_arr);
    const series = (pick) => [now].concat(d.quarters.map(pick));
    new Chart(canvas, {
      type: "line",
      data: {
        labels,
        datasets: [
          { label: "P90", data: series((q) => num(q.arr_end.p90)), borderColor: "transparent",
            backgroundColor: "rgba(53, 99, 233, 0.15)", fill: "+1", pointRadius: 0 },
          { label: "P10", data: series((q) => num(q.arr_end.p10)), borderColor: "transparent",
            backgroundColor: "transparent", fill: false, pointRadius: 0 },
          { label: "Expected", data: series((q) => num(q.arr_end.expected)), borderColor: BLUE,
            backgroundColor: BLUE, tension: 0.2, pointRadius: 3 },
          { label: "With weighted pipeline", data: series((q) => num(q.with_pipeline)),
            borderColor: GREEN, backgroundColor: GREEN, borderDash: [6, 4], tension: 0.2, pointRadius: 2 },
        ],
      },
      options: {
        animation: false, aspectRatio: shape(3.2),
        plugins: { legend: { labels: { filter: (item) => item.text !== "P10" } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${compact(c.raw, d.currency)}` } } },
        scales: { y: { ticks: { callback: (v) => compact(v, d.currency) } } },
      },
    });
  }

  // Retention: Kaplan–Meier curves, one per group, "All" with its 95 % band.
  function survivalCurves(canvas, d) {
    const palette = [BLUE, GREEN, AMBER, RED, "#7b5cd6", "#2aa7b8", GREY];
    const xy = (points, key) => points.map((p) => ({ x: p.month, y: pct(p[key]) }));
    const datasets = [];
    d.groups.forEach((g, i) => {
      if (i === 0) {
        datasets.push({ label: "95% high", data: xy(g.curve, "high"), borderColor: "transparent",
          backgroundColor: "rgba(53, 99, 233, 0.12)", fill: "+1", pointRadius: 0, stepped: true });
        datasets.push({ label: "95% low", data: xy(g.curve, "low"), borderColor: "transparent",
          fill: false, pointRadius: 0, stepped: true });
      }
      const color = palette[i % palette.length];
      datasets.push({ label: g.label, data: xy(g.curve, "survival"), borderColor: color,
        backgroundColor: color, borderWidth: i === 0 ? 3 : 2, pointRadius: 0, stepped: true });
    });
    new Chart(canvas, {
      type: "line",
      data: { datasets },
      options: {
        animation: false, aspectRatio: shape(3),
        plugins: { legend: { labels: { filter: (item) => !item.text.startsWith("95%") } } },
        scales: { x: { type: "linear", title: { display: true, text: "Months as a customer" } },
                  y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } },
      },
    });
  }

  // Account 360: health score over time with its bands, weekly active users, utilisation,
  // and key-feature adoption.
  function health(d, el) {
    const bandColor = { green: GREEN, yellow: AMBER, red: RED };
    if (el("health-trend-chart")) {
      new Chart(el("health-trend-chart"), {
        type: "line",
        data: {
          labels: d.scores.map((p) => p.as_of),
          datasets: [{ label: "Score", data: d.scores.map((p) => p.score), borderColor: BLUE,
            pointBackgroundColor: d.scores.map((p) => bandColor[p.band] || GREY), pointRadius: 4,
            tension: 0.2, spanGaps: true }],
        },
        options: { animation: false, plugins: { legend: { display: false } },
          scales: { y: { min: 0, max: 100 } } },
      });
    }
    if (el("active-users-chart")) {
      new Chart(el("active-users-chart"), {
        type: "bar",
        data: {
          labels: d.weeks.map((w) => w.week),
          datasets: [{ label: "Active users", data: d.weeks.map((w) => w.active_users),
            backgroundColor: d.weeks.map((w) => (w.partial ? "#b8c7f5" : BLUE)), borderRadius: 2 }],
        },
        options: { animation: false, plugins: { legend: { display: false }, tooltip: { callbacks: {
            afterLabel: (c) => (d.weeks[c.dataIndex].partial ? "week in progress" : "") } } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }
    if (el("utilisation-chart")) {
      new Chart(el("utilisation-chart"), {
        type: "line",
        data: {
          labels: d.utilisation.map((u) => u.as_of),
          datasets: [{ label: "Utilisation", data: d.utilisation.map((u) => pct(u.value)),
            borderColor: GREEN, backgroundColor: GREEN, tension: 0.2, spanGaps: true }],
        },
        options: { animation: false, plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true, ticks: { callback: (v) => v + "%" } } } },
      });
    }
    if (el("adoption-chart")) {
      new Chart(el("adoption-chart"), {
        type: "bar",
        data: {
          labels: d.features.map((f) => f.event),
          datasets: [{ label: "Adoption", data: d.features.map((f) => pct(f.adoption)),
            backgroundColor: AMBER, borderRadius: 2 }],
        },
        options: { indexAxis: "y", animation: false, plugins: { legend: { display: false } },
          scales: { x: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } } },
      });
    }
  }

  // A report-builder result (reports, dashboard tiles): one series per value of the second
  // dimension, along a time dimension when there is one.
  function report(canvas, d) {
    const palette = [BLUE, GREEN, AMBER, RED, "#7b5cd6", "#2aa7b8", GREY, "#c2185b", "#6d8a1f"];
    const dims = d.group_by;
    const timeDims = ["month", "quarter"];
    const xDim = dims.find((name) => timeDims.includes(name)) || dims[0];
    const seriesDim = dims.find((name) => name !== xDim);
    const value = (v) => (v === null ? null : d.unit === "ratio" ? pct(v) : v);
    const labels = [];
    d.rows.forEach((r) => {
      const x = xDim ? r.dimensions[xDim] : d.label;
      if (!labels.includes(x)) labels.push(x);
    });
    if (xDim && timeDims.includes(xDim)) labels.sort();
    const names = seriesDim ? [...new Set(d.rows.map((r) => r.dimensions[seriesDim]))] : [d.label];
    const datasets = names.map((name, i) => {
      const color = palette[i % palette.length];
      const mine = d.rows.filter((r) => !seriesDim || r.dimensions[seriesDim] === name);
      const at = new Map(mine.map((r) => [xDim ? r.dimensions[xDim] : d.label, value(r.value)]));
      return { label: name, data: labels.map((x) => (at.has(x) ? at.get(x) : null)),
        borderColor: color, backgroundColor: color, borderRadius: 2, tension: 0.2, spanGaps: true,
        pointRadius: 2 };
    });
    const tick = (v) => (d.unit === "money" ? compact(v, d.currency) : d.unit === "ratio" ? v + "%" : v);
    new Chart(canvas, {
      type: d.chart === "line" ? "line" : "bar",
      data: { labels, datasets },
      options: {
        animation: false, aspectRatio: shape(2.4), maintainAspectRatio: true,
        plugins: { legend: { display: Boolean(seriesDim) },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.raw === null ? "—" : tick(c.raw)}` } } },
        // Bars start at zero (a bar's length is its value); a line of ratios may zoom in.
        scales: { y: { beginAtZero: d.chart !== "line" || d.unit !== "ratio", ticks: { callback: tick } } },
      },
    });
  }

  function draw() {
    if (typeof Chart === "undefined") return;
    document.querySelectorAll("script.report-data").forEach((node) => {
      const canvas = document.getElementById(node.dataset.canvas);
      if (canvas) report(canvas, JSON.parse(node.textContent));
    });
    const revenue = document.getElementById("revenue-data");
    if (revenue) {
      const d = JSON.parse(revenue.textContent);
      const el = (id) => document.getElementById(id);
      if (d.waterfall && el("waterfall-chart")) waterfall(el("waterfall-chart"), d.waterfall, d.currency);
      if (el("trend-chart")) trend(el("trend-chart"), d.trend);
      if (el("movements-chart")) movements(el("movements-chart"), d.months, d.currency);
    }
    const renewals = document.getElementById("renewals-data");
    if (renewals) {
      const d = JSON.parse(renewals.textContent);
      const canvas = document.getElementById("at-stake-chart");
      if (canvas) atStake(canvas, d.by_month, d.currency);
    }
    const riskData = document.getElementById("risk-data");
    if (riskData && document.getElementById("risk-chart")) {
      risk(document.getElementById("risk-chart"), JSON.parse(riskData.textContent));
    }
    const forecastData = document.getElementById("forecast-data");
    if (forecastData && document.getElementById("arr-projection-chart")) {
      projection(document.getElementById("arr-projection-chart"), JSON.parse(forecastData.textContent));
    }
    const retentionData = document.getElementById("retention-data");
    if (retentionData && document.getElementById("retention-chart")) {
      survivalCurves(document.getElementById("retention-chart"), JSON.parse(retentionData.textContent));
    }
    const healthData = document.getElementById("health-data");
    if (healthData) health(JSON.parse(healthData.textContent), (id) => document.getElementById(id));
    document.body.dataset.chartsReady = "true";
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
