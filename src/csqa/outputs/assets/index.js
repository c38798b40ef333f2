/* csqa index: sort, filter, search and page the list of calls. The calls are data in the page
   (#csqa-calls); this script draws one page of the matching rows at a time, building each row the first time
   it is shown (a page read without JavaScript has every call in a plain table instead, in a <noscript>).
   The state is kept in the address (#calls:sort=score&dir=asc&q=…), so a link, a reload or the way back from
   a call page shows the same list. The words it shows come with the page's data (data.text), in the page's
   language; the rows, their keys and the state in the address are the same in every language. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("csqa-data").textContent);
  var T = data.text;
  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
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
  var calls = JSON.parse(document.getElementById("csqa-calls").textContent);
  var DASH = T.dash;

  var rows = calls.rows.map(function (c, i) {
    return {
      order: i, call: c[0], href: c[1], agent: c[2], team: c[3], started: c[4],
      date: c[4] ? c[4].slice(0, 10) : "", direction: c[5], score: c[6] === null ? NaN : c[6], shown: c[7] || DASH,
      verdict: c[8], failed: c[9] ? c[9].split(" ") : [], vetoed: c[10], meta: c[11], reviewed: c[12],
      disagreed: c[13], tr: null, search: null
    };
  });
  var total = rows.length;

  function td(text, cls) {
    var cell = document.createElement("td");
    if (cls) cell.className = cls;
    if (text !== undefined) cell.textContent = text;
    return cell;
  }
  function badge(text, cls) {
    var span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    return span;
  }

  /* The row of one call, the same as the plain table's; built the first time it is shown. */
  function rowOf(r) {
    if (r.tr) return r.tr;
    var tr = document.createElement("tr");
    tr.setAttribute("data-v", r.verdict);
    calls.columns.forEach(function (key) {
      var cell;
      if (key === "call") {
        cell = td();
        var a = document.createElement("a");
        a.href = r.href;
        a.textContent = r.call;
        cell.appendChild(a);
      } else if (key === "score") {
        cell = td(r.shown, "num");
      } else if (key === "direction") {
        cell = td(T["dir." + r.direction] || r.direction || DASH);
      } else if (key === "verdict") {
        cell = td();
        cell.appendChild(badge(T["verdict." + r.verdict], "badge s-" + (r.verdict === "none" ? "none" : r.verdict)));
      } else if (key === "reviews") {
        cell = td(r.reviewed ? format(T.reviewed, { n: r.reviewed }) : DASH);
        if (r.disagreed) {
          cell.appendChild(document.createTextNode(" "));
          cell.appendChild(badge(format(T.disagreed, { n: r.disagreed }), "disagree"));
        }
      } else if (key === "failed") {
        cell = td(r.failed.length ? r.failed.join(" ") : DASH);
        if (r.vetoed) {
          cell.appendChild(document.createTextNode(" "));
          cell.appendChild(badge(T.veto + " " + r.vetoed, "badge s-fail"));
        }
      } else {
        cell = td(r[key] || DASH);
      }
      tr.appendChild(cell);
    });
    r.tr = tr;
    return tr;
  }

  function searchText(r) {
    if (r.search === null) {
      r.search = [r.call, r.agent, r.team, r.started, r.direction, T["dir." + r.direction] || "", r.shown,
                  T["verdict." + r.verdict],
                  r.failed.join(" "), r.vetoed, r.meta].join(" ").toLowerCase();
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
    if (f.agent && (r.agent || DASH) !== f.agent) return false;
    if (f.team && (r.team || DASH) !== f.team) return false;
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
    shown.slice(first, first + PAGE).forEach(function (r) { fragment.appendChild(rowOf(r)); });
    tbody.textContent = "";
    tbody.appendChild(fragment);
    var count = document.getElementById("calls-count");
    if (count) {
      count.textContent = shown.length
        ? format(T.shown, { first: first + 1, last: Math.min(first + PAGE, shown.length), n: shown.length, total: total })
        : format(T.none, { total: total });
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
    button.title = format(T.sort, { column: th.textContent.trim() });
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
