// treatywatch report: table, filters and chart data, all from the JSON embedded in this file.
// Untrusted text is only ever set with textContent; links only for http(s) URLs checked on the server.
(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("report-specs").textContent);
  var runs = JSON.parse(document.getElementById("report-runs").textContent);
  var clusters = [], names = {}, views = {};
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function nameOf(code) { return names[code] ? names[code] + " (" + code + ")" : code; }
  function day(iso) { return iso ? iso.slice(0, 10) : ""; }
  function label(t) { return (t || "").replace(/_/g, " "); }

  // --- filters ---------------------------------------------------------------------------------
  function fillFilters() {
    var types = {}, countries = {};
    clusters.forEach(function (c) {
      types[c.t] = 1;
      countries[c.a] = 1;
      c.c.forEach(function (p) { countries[p] = 1; });
    });
    Object.keys(types).sort().forEach(function (t) {
      var o = el("option", null, label(t)); o.value = t; $("f-type").appendChild(o);
    });
    Object.keys(countries).sort().forEach(function (p) {
      var o = el("option"); o.value = p; o.label = nameOf(p); $("f-country-list").appendChild(o);
    });
  }

  function countryCode(value) {
    var v = value.trim();
    if (!v) return "";
    var m = v.match(/\(([^)]+)\)\s*$/);
    if (m) return m[1].toUpperCase();
    var up = v.toUpperCase();
    if (names[up] !== undefined) return up;
    var low = v.toLowerCase();
    for (var code in names) { if ((names[code] || "").toLowerCase() === low) return code; }
    return up;
  }

  function current() {
    return {
      type: $("f-type").value, country: countryCode($("f-country").value), from: $("f-from").value,
      to: $("f-to").value, conf: parseFloat($("f-conf").value) || 0, review: $("f-review").value
    };
  }

  function keep(c, f) {
    if (f.type && c.t !== f.type) return false;
    if (f.country && c.a !== f.country && c.c.indexOf(f.country) < 0) return false;
    if (f.from && day(c.ls) < f.from) return false;
    if (f.to && day(c.fs) > f.to) return false;
    if (c.p < f.conf) return false;
    var rv = c.rv ? c.rv.v : "";
    if (f.review === "none" && rv) return false;
    if (f.review && f.review !== "none" && rv !== f.review) return false;
    return true;
  }

  // --- table -----------------------------------------------------------------------------------
  var rows = [];
  function buildTable() {
    var body = document.querySelector("#clusters tbody"), frag = document.createDocumentFragment();
    clusters.forEach(function (c, i) {
      var tr = el("tr", "cluster fam-" + c.f + (c.rv && c.rv.v === "wrong" ? " wrong" : ""));
      tr.dataset.id = c.id;
      var typeCell = el("td"); typeCell.appendChild(el("span", "chip t-" + c.t, label(c.t))); tr.appendChild(typeCell);
      tr.appendChild(el("td", null, nameOf(c.a)));
      tr.appendChild(el("td", null, c.c.map(nameOf).join(", ") || "—"));
      tr.appendChild(el("td", "instrument", c.in || ""));
      tr.appendChild(el("td", null, c.st));
      tr.appendChild(el("td", "num", c.p.toFixed(2)));
      tr.appendChild(el("td", null, day(c.fs)));
      tr.appendChild(el("td", null, day(c.ls)));
      tr.appendChild(el("td", "num", c.ns));
      tr.appendChild(el("td", null, c.o ? "yes" : ""));
      tr.appendChild(el("td", "review", reviewText(c)));
      tr.addEventListener("click", function () { toggle(tr, c); });
      frag.appendChild(tr);
      rows.push(tr);
    });
    body.appendChild(frag);
  }

  function reviewText(c) {
    if (!c.rv) return "";
    var t = c.rv.v;
    if (c.rv.v === "type") t += ": " + label(c.rv.t);
    if (c.rv.v === "parties") t += ": " + (c.rv.parties || []).join(", ");
    if (c.rv.note) t += " — " + c.rv.note;
    return t;
  }

  function toggle(tr, c) {
    var next = tr.nextSibling;
    if (next && next.classList && next.classList.contains("detail")) { next.remove(); tr.classList.remove("open"); return; }
    var d = el("tr", "detail"), td = el("td"); td.colSpan = 11;
    c.m.forEach(function (m) { td.appendChild(mention(m)); });
    if (c.n > c.m.length) {
      td.appendChild(el("p", "more", (c.n - c.m.length) + " more mention(s): treatywatch query \"SELECT * FROM v_events WHERE cluster_id = '" + c.id + "'\""));
    }
    td.appendChild(el("p", "cid", "cluster " + c.id));
    d.appendChild(td);
    tr.parentNode.insertBefore(d, tr.nextSibling);
    tr.classList.add("open");
  }

  function mention(m) {
    var box = el("div", "mention"), head = el("div", "head");
    if (m.u) {
      var a = el("a", null, m.ti || m.u); a.href = m.u; a.rel = "noopener noreferrer"; a.target = "_blank";
      head.appendChild(a);
    } else {
      head.appendChild(el("span", null, m.ti || "(no title)"));
    }
    head.appendChild(el("span", "meta", " · " + m.s + " · " + day(m.d) + " · " + label(m.t) + " · " + nameOf(m.a) +
      (m.c.length ? " → " + m.c.map(nameOf).join(", ") : "") + " · confidence " + m.p + " · rule " + m.r));
    box.appendChild(head);
    var q = el("blockquote", "evidence"), at = 0, kinds = { t: "trigger", p: "party" };
    m.h.forEach(function (h) {
      if (h[0] > at) q.appendChild(document.createTextNode(m.e.slice(at, h[0])));
      q.appendChild(el("mark", kinds[h[2]] || "", m.e.slice(h[0], h[1])));
      at = h[1];
    });
    if (at < m.e.length) q.appendChild(document.createTextNode(m.e.slice(at)));
    box.appendChild(q);
    if (m.fl) {
      var ul = el("ul", "flags");
      m.fl.forEach(function (f) { ul.appendChild(el("li", null, f)); });
      box.appendChild(ul);
    }
    return box;
  }

  // --- charts ----------------------------------------------------------------------------------
  function countryRows(list) {
    var counts = {}, out = [];
    list.forEach(function (c) {
      var fam = c.f === "termination" ? "ended" : "signed or strengthened";
      var add = function (code, role) {
        var k = code + "|" + role + "|" + fam;
        counts[k] = (counts[k] || 0) + 1;
      };
      add(c.a, "actor");
      c.c.forEach(function (p) { add(p, "counterpart"); });
    });
    var totals = {};
    Object.keys(counts).forEach(function (k) { var code = k.split("|")[0]; totals[code] = (totals[code] || 0) + counts[k]; });
    var top = Object.keys(totals).sort(function (a, b) { return totals[b] - totals[a] || (a < b ? -1 : 1); }).slice(0, 25);
    Object.keys(counts).forEach(function (k) {
      var p = k.split("|");
      if (top.indexOf(p[0]) < 0) return;
      for (var i = 0; i < counts[k]; i++) out.push({ name: nameOf(p[0]), role: p[1], family: p[2] });
    });
    return out;
  }

  function chartData(list) {
    return {
      clusters: list.map(function (c) { return { first_seen: c.fs, type: c.t }; }),
      countries: countryRows(list), runs: runs
    };
  }

  function setData(view, name, values) {
    if (!view || !window.vega) return;
    view.change(name, window.vega.changeset().remove(window.vega.truthy).insert(values)).run();
  }

  function drawCharts(list) {
    if (!window.vegaEmbed) return;
    var sets = chartData(list);
    [["timeline", "clusters"], ["countries", "countries"], ["runs", "runs"]].forEach(function (pair) {
      var key = pair[0], name = pair[1], spec = JSON.parse(JSON.stringify(specs[key]));
      spec.datasets = {}; spec.data = { name: name, values: sets[name] };
      window.vegaEmbed("#chart-" + key, spec, { actions: false, renderer: "svg" }).then(function (res) {
        views[key] = { view: res.view, name: name };
      }).catch(function (err) { console.error("chart " + key + ": " + err); });
    });
  }

  // --- apply -----------------------------------------------------------------------------------
  var drawn = false;
  function apply() {
    var f = current(), shown = [];
    clusters.forEach(function (c, i) {
      var ok = keep(c, f);
      rows[i].hidden = !ok;
      var next = rows[i].nextSibling;
      if (next && next.classList && next.classList.contains("detail")) next.hidden = !ok;
      if (ok) shown.push(c);
    });
    $("shown-count").textContent = shown.length;
    if (drawn) {
      var sets = chartData(shown);
      Object.keys(views).forEach(function (k) { setData(views[k].view, views[k].name, sets[views[k].name]); });
    }
    return shown;
  }

  function start() {
    fillFilters();
    buildTable();
    $("total-count").textContent = clusters.length;
    ["f-type", "f-country", "f-from", "f-to", "f-conf", "f-review"].forEach(function (id) {
      $(id).addEventListener("input", apply);
      $(id).addEventListener("change", apply);
    });
    $("f-reset").addEventListener("click", function () {
      ["f-type", "f-country", "f-from", "f-to", "f-review"].forEach(function (id) { $(id).value = ""; });
      $("f-conf").value = "0";
      apply();
    });
    var shown = apply();
    var draw = function () { if (!drawn) { drawn = true; drawCharts(shown); } };
    if (window.vegaEmbed) draw(); else window.addEventListener("vega-ready", draw);
    document.body.dataset.ready = "1";
  }

  // The cluster data is gzipped JSON in base64 (a 10,000-cluster report stays a few MB).
  function inflate(b64) {
    var bin = atob(b64.trim()), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  function boot() {
    inflate(document.getElementById("report-data").textContent).then(function (data) {
      clusters = data.clusters; names = data.names;
      start();
    }).catch(function (err) {
      console.error("report data: " + err);
      document.getElementById("shown-count").textContent = "?";
      document.body.insertBefore(el("p", "error", "This browser cannot read the report data (" + err + "); " +
        "open the file in a current Chrome, Firefox, Edge or Safari."), document.body.firstChild);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot); else boot();
})();
