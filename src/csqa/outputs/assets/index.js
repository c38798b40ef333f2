/* csqa index: sort, filter, search and page the list of calls. The rows are in the page (so that it reads
   without JavaScript); this script reads them once, then shows one page of the matching rows at a time.
   The state is kept in the address (#calls:sort=score&dir=asc&q=…), so a link, a reload or the way back from
   a call page shows the same list. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("csqa-data").textContent);
  var T = data.text;
  var PAGE = data.page || 100;
  var main = document.querySelector("main.csqa");
  if (main) main.classList.add("js");
  if (window.csqaReviews) csqaReviews.bar(new csqaReviews.Store(data.root), T);

  var table = document.getElementById("calls-table");
  if (!table) return;
  var tbody = table.tBodies[0];
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var col = {};
  heads.forEach(function (th, i) { col[th.getAttribute("data-key")] = i; });

  function cell(tr, key) {
    return key in col ? tr.cells[col[key]].textContent.trim() : "";
  }
  var rows = Array.prototype.map.call(tbody.rows, function (tr, i) {
    var failed = cell(tr, "failed");
    var started = cell(tr, "started");
    return {
      tr: tr,
      order: i,
      call: cell(tr, "call"),
      agent: cell(tr, "agent"),
      team: cell(tr, "team"),
      started: started,
      date: /^\d{4}-\d{2}-\d{2}/.test(started) ? started.slice(0, 10) : "",
      direction: cell(tr, "direction"),
      score: parseFloat(cell(tr, "score")),
      verdict: tr.getAttribute("data-v") || "",
      failed: failed === "–" ? [] : failed.split(/\s+/).filter(function (c) { return /^[A-Za-z]+\d+$/.test(c); }),
      reviews: cell(tr, "reviews"),
      search: null
    };
  });
  var total = rows.length;

  function searchText(r) {
    if (r.search === null) {
      r.search = (r.tr.textContent + " " + (r.tr.getAttribute("data-meta") || "")).toLowerCase();
    }
    return r.search;
  }

  var controls = {
    q: document.getElementById("f-q"),
    rule: document.getElementById("f-rule"),
    agent: document.getElementById("f-agent"),
    team: document.getElementById("f-team"),
    verdict: document.getElementById("f-verdict"),
    from: document.getElementById("f-from"),
    to: document.getElementById("f-to")
  };
  var state = { sort: "", dir: "asc", page: 0 };

  function value(name) {
    var c = controls[name];
    return c ? c.value.trim() : "";
  }

  function matches(r, f) {
    if (f.rule && r.failed.indexOf(f.rule) < 0) return false;
    if (f.agent && r.agent !== f.agent) return false;
    if (f.team && r.team !== f.team) return false;
    if (f.verdict && r.verdict !== f.verdict) return false;
    if (f.from && !(r.date && r.date >= f.from)) return false;
    if (f.to && !(r.date && r.date <= f.to)) return false;
    if (f.terms.length) {
      var text = searchText(r);
      for (var i = 0; i < f.terms.length; i++) if (text.indexOf(f.terms[i]) < 0) return false;
    }
    return true;
  }

  var TYPES = { score: "num", failed: "count" };
  function compare(key, dir) {
    var sign = dir === "desc" ? -1 : 1;
    var type = TYPES[key] || "text";
    return function (a, b) {
      var x, y;
      if (type === "num") {
        x = a.score; y = b.score;
        var nx = isNaN(x), ny = isNaN(y);
        if (nx || ny) return nx === ny ? a.order - b.order : (nx ? 1 : -1); /* no score: always last */
      } else if (type === "count") {
        x = a.failed.length; y = b.failed.length;
      } else {
        x = a[key] || ""; y = b[key] || "";
        if (!x !== !y) return x ? -1 : 1; /* empty: always last */
      }
      if (x < y) return -sign;
      if (x > y) return sign;
      return a.order - b.order;
    };
  }

  function render() {
    var f = {
      rule: value("rule"), agent: value("agent"), team: value("team"), verdict: value("verdict"),
      from: value("from"), to: value("to"),
      terms: value("q").toLowerCase().split(/\s+/).filter(Boolean)
    };
    var shown = rows.filter(function (r) { return matches(r, f); });
    if (state.sort) shown.sort(compare(state.sort, state.dir));
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    state.page = Math.min(Math.max(0, state.page), pages - 1);
    var first = state.page * PAGE;
    var fragment = document.createDocumentFragment();
    shown.slice(first, first + PAGE).forEach(function (r) { fragment.appendChild(r.tr); });
    tbody.textContent = "";
    tbody.appendChild(fragment);
    var count = document.getElementById("calls-count");
    if (count) {
      count.textContent = shown.length
        ? csqaReviews.format(T.shown, { first: first + 1, last: Math.min(first + PAGE, shown.length), n: shown.length, total: total })
        : csqaReviews.format(T.none, { total: total });
    }
    var prev = document.getElementById("p-prev"), next = document.getElementById("p-next");
    if (prev) prev.disabled = state.page === 0;
    if (next) next.disabled = state.page >= pages - 1;
    var info = document.getElementById("p-info");
    if (info) info.textContent = (state.page + 1) + " / " + pages;
    heads.forEach(function (th) {
      var key = th.getAttribute("data-key");
      if (key === state.sort) th.setAttribute("aria-sort", state.dir === "desc" ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
    remember(f);
  }

  function remember(f) {
    var params = [];
    ["q", "rule", "agent", "team", "verdict", "from", "to"].forEach(function (k) {
      var v = value(k);
      if (v) params.push(k + "=" + encodeURIComponent(v));
    });
    if (state.sort) params.push("sort=" + state.sort, "dir=" + state.dir);
    if (state.page) params.push("page=" + (state.page + 1));
    var hash = params.length ? "#calls:" + params.join("&") : "";
    if (hash !== window.location.hash && (hash || window.location.hash.indexOf("#calls:") === 0)) {
      try {
        window.history.replaceState(null, "", hash || window.location.pathname + window.location.search);
      } catch (e) { /* some browsers refuse for local files: the state is then not remembered */ }
    }
  }

  function restore() {
    var hash = window.location.hash;
    if (hash.indexOf("#calls:") !== 0) return false;
    var params = {};
    hash.slice(7).split("&").forEach(function (part) {
      var at = part.indexOf("=");
      if (at > 0) {
        try { params[part.slice(0, at)] = decodeURIComponent(part.slice(at + 1)); } catch (e) { /* ignore */ }
      }
    });
    Object.keys(controls).forEach(function (k) { if (controls[k]) controls[k].value = params[k] || ""; });
    state.sort = params.sort in col ? params.sort : "";
    state.dir = params.dir === "desc" ? "desc" : "asc";
    state.page = Math.max(0, (parseInt(params.page, 10) || 1) - 1);
    return true;
  }

  heads.forEach(function (th) {
    var key = th.getAttribute("data-key");
    if (!key) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.title = csqaReviews.format(T.sort, { column: th.textContent.trim() });
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener("click", function () {
      if (state.sort === key) state.dir = state.dir === "asc" ? "desc" : "asc";
      else { state.sort = key; state.dir = key === "score" || key === "failed" ? "desc" : "asc"; }
      state.page = 0;
      render();
    });
  });

  Object.keys(controls).forEach(function (k) {
    var c = controls[k];
    if (!c) return;
    c.addEventListener(c.tagName === "SELECT" || c.type === "date" ? "change" : "input", function () {
      state.page = 0;
      render();
    });
  });
  var clear = document.getElementById("f-clear");
  if (clear) {
    clear.addEventListener("click", function () {
      Object.keys(controls).forEach(function (k) { if (controls[k]) controls[k].value = ""; });
      state.sort = ""; state.dir = "asc"; state.page = 0;
      render();
    });
  }
  var prev = document.getElementById("p-prev"), next = document.getElementById("p-next");
  if (prev) prev.addEventListener("click", function () { state.page -= 1; render(); });
  if (next) next.addEventListener("click", function () { state.page += 1; render(); });

  Array.prototype.forEach.call(document.querySelectorAll("a[data-filter-rule]"), function (a) {
    a.addEventListener("click", function (event) {
      event.preventDefault();
      Object.keys(controls).forEach(function (k) { if (controls[k]) controls[k].value = ""; });
      if (controls.rule) controls.rule.value = a.getAttribute("data-filter-rule");
      state.page = 0;
      render();
      document.getElementById("calls").scrollIntoView();
    });
  });
  window.addEventListener("hashchange", function () {
    if (restore()) render();
  });

  var restored = restore();
  render();
  if (restored) document.getElementById("calls").scrollIntoView();
})();
