#include "thrift/admin/status_page.h"

namespace twopc::admin {

const char* StatusPageHtml() {
  return R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>twopc status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
  table { border-collapse: collapse; }
  th, td { text-align: left; padding: .2em .8em .2em 0; border-bottom: 1px solid #ddd; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .up { color: #176c2a; font-weight: 600; }
  .down { color: #b3261e; font-weight: 600; }
  .muted { color: #777; }
  #error { color: #b3261e; }
  svg { border: 1px solid #ddd; background: #fafafa; }
  .totals span { margin-right: 1.5em; }
</style>
</head>
<body>
<h1 id="title">twopc</h1>
<div class="muted"><span id="now"></span> <span id="error"></span></div>
<div class="totals" id="totals"></div>
<div id="peers-section">
<h2>Participants</h2>
<table><thead><tr><th>name</th><th>address</th><th>health</th><th>detail</th></tr></thead>
<tbody id="peers"></tbody></table>
</div>
<h2>Throughput (transactions/s, last minutes)</h2>
<svg id="rate" width="720" height="140"></svg>
<h2>Latency (ms, p50 and p99 per second)</h2>
<svg id="latency" width="720" height="140"></svg>
<h2>In doubt</h2>
<table><thead><tr><th>txid</th><th>state</th><th>age</th><th>participants</th><th>detail</th></tr></thead>
<tbody id="in-doubt"></tbody></table>
<h2>Heuristic mismatches</h2>
<table><thead><tr><th>txid</th><th>state</th><th>age</th><th>participants</th><th>detail</th></tr></thead>
<tbody id="mismatches"></tbody></table>
<div id="recent-section">
<h2>Recent transactions</h2>
<table><thead><tr><th>txid</th><th>outcome</th><th>ms</th></tr></thead>
<tbody id="recent"></tbody></table>
</div>
<script>
"use strict";
function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}
function fill(id, items, render, empty) {
  const body = document.getElementById(id);
  body.replaceChildren();
  if (items.length === 0) {
    const row = body.insertRow();
    cell(row, empty, "muted").colSpan = 5;
  }
  for (const item of items) render(body.insertRow(), item);
}
function age(ms) {
  if (ms < 10000) return (ms / 1000).toFixed(1) + " s";
  if (ms < 3600000) return Math.floor(ms / 60000) + " m " + Math.floor(ms / 1000) % 60 + " s";
  return Math.floor(ms / 3600000) + " h " + Math.floor(ms / 60000) % 60 + " m";
}
function pending(row, p) {
  row.dataset.txid = p.txid;
  cell(row, String(p.txid));
  cell(row, p.state);
  cell(row, age(p.age_ms), "num");
  cell(row, p.participants.join(", "));
  cell(row, p.detail);
}
// Draws each series [values, color, label] as a polyline over the history.
function chart(id, series, unit) {
  const svg = document.getElementById(id);
  const w = svg.width.baseVal.value, h = svg.height.baseVal.value, pad = 18;
  let max = 1;
  for (const s of series) for (const v of s[0]) max = Math.max(max, v);
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  // At least a minute wide, newest at the right edge.
  const n = Math.max(60, series[0][0].length);
  series.forEach(([values, color, label], k) => {
    const shift = n - values.length;
    const points = values.map((v, i) =>
      (pad + (w - 2 * pad) * (shift + i) / (n - 1)).toFixed(1) + "," +
      (h - pad - (h - 2 * pad) * v / max).toFixed(1)).join(" ");
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points);
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", color);
    line.setAttribute("stroke-width", "1.5");
    svg.appendChild(line);
    const text = document.createElementNS(ns, "text");
    text.setAttribute("x", pad + k * 120);
    text.setAttribute("y", 13);
    text.setAttribute("fill", color);
    text.setAttribute("font-size", "11");
    const last = values.length ? values[values.length - 1] : 0;
    text.textContent = label + " " + last.toFixed(1) + " " + unit;
    svg.appendChild(text);
  });
  const top = document.createElementNS(ns, "text");
  top.setAttribute("x", w - pad);
  top.setAttribute("y", 13);
  top.setAttribute("text-anchor", "end");
  top.setAttribute("font-size", "11");
  top.setAttribute("fill", "#777");
  top.textContent = "max " + max.toFixed(1) + " " + unit;
  svg.appendChild(top);
}
function render(s) {
  document.title = "twopc " + s.role + " " + s.name;
  document.getElementById("title").textContent = "twopc " + s.role + " " + s.name;
  document.getElementById("now").textContent = new Date(s.now_ms).toISOString();
  const totals = document.getElementById("totals");
  totals.replaceChildren();
  for (const [name, value] of Object.entries(s.totals)) {
    const span = document.createElement("span");
    span.id = "total-" + name;
    span.textContent = name + ": " + value;
    totals.appendChild(span);
  }
  document.getElementById("peers-section").hidden = s.role !== "coordinator";
  fill("peers", s.peers, (row, p) => {
    row.className = "peer";
    row.dataset.name = p.name;
    cell(row, p.name);
    cell(row, p.address);
    cell(row, p.up ? "up" : "down", p.up ? "up" : "down");
    cell(row, p.detail);
  }, "no participants");
  const rate = s.history.map(x => x.seconds > 0 ? x.committed / x.seconds : 0);
  const aborts = s.history.map(x => x.seconds > 0 ? x.aborted / x.seconds : 0);
  chart("rate", [[rate, "#1a5fb4", "committed"], [aborts, "#b3261e", "aborted"]], "/s");
  chart("latency", [[s.history.map(x => x.p50_ms), "#1a5fb4", "p50"],
                    [s.history.map(x => x.p99_ms), "#c64600", "p99"]], "ms");
  fill("in-doubt", s.in_doubt, pending, "nothing in doubt");
  fill("mismatches", s.mismatches, pending, "none");
  document.getElementById("recent-section").hidden = s.recent.length === 0;
  fill("recent", s.recent, (row, r) => {
    row.className = "recent";
    row.dataset.txid = r.txid;
    cell(row, String(r.txid));
    cell(row, r.outcome);
    cell(row, r.ms.toFixed(2), "num");
  }, "");
  document.body.dataset.loaded = "true";
}
async function refresh() {
  try {
    const answer = await fetch("/status.json", {cache: "no-store"});
    if (!answer.ok) throw new Error("HTTP " + answer.status);
    render(await answer.json());
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent = "cannot read /status.json: " + e.message;
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
)HTML";
}

}  // namespace twopc::admin

namespace twopc::admin {

Routes StatusRoutes(std::function<std::string()> metrics, std::function<StatusView()> view) {
  Routes routes;
  routes["/"] = [] { return HttpResponse{200, "text/html; charset=utf-8", StatusPageHtml()}; };
  routes["/metrics"] = [metrics] { return HttpResponse{200, kPrometheusContentType, metrics()}; };
  routes["/status.json"] = [view] { return HttpResponse{200, "application/json", ToJson(view())}; };
  routes["/status.txt"] = [view] {
    return HttpResponse{200, "text/plain; charset=utf-8", ToText(view())};
  };
  return routes;
}

}  // namespace twopc::admin
