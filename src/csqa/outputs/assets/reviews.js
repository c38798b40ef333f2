/* csqa: the reviews a reviewer gives on the pages of one site (one folder written by `csqa report`), kept in
   this browser and saved to a file the reviewer keeps.

   Kept: localStorage["csqa-reviews:" + the site folder's URL] = {"reviews": {call_id + "\u001f" + rule: review}},
   and localStorage["csqa-reviewer"] = the reviewer's name, so that a reload, another call page or the index
   of the same folder sees the same reviews. Saved: a JSON file (format "csqa-reviews/1", docs/reviews.md)
   with every review kept for the site, downloaded through a Blob link; saving again gives a newer file that
   holds the older one's reviews too, and `csqa reviews` collapses the repeats. Where the browser keeps
   nothing for local files, the reviews live as long as the page and the bar says so. */
var csqaReviews = (function () {
  "use strict";
  var FORMAT = "csqa-reviews/1";
  var SEP = "\u001f";

  function storage() {
    try {
      var s = window.localStorage;
      s.setItem("csqa-probe", "1");
      s.removeItem("csqa-probe");
      return s;
    } catch (e) {
      return null;
    }
  }

  function Store(root) {
    var url = new URL(root.replace(/\/?$/, "/"), window.location.href);
    this.key = "csqa-reviews:" + url.protocol + "//" + url.host + url.pathname;
    this.storage = storage();
    this.data = { reviews: {} };
    this.reload();
  }
  Store.prototype.reload = function () {
    if (!this.storage) return;
    try {
      var data = JSON.parse(this.storage.getItem(this.key) || "null");
      if (data && typeof data.reviews === "object" && data.reviews !== null) this.data = data;
    } catch (e) { /* a damaged entry: start afresh rather than fail the page */ }
  };
  Store.prototype.write = function () {
    if (!this.storage) return;
    try {
      this.storage.setItem(this.key, JSON.stringify(this.data));
    } catch (e) {
      this.storage = null;
    }
  };
  Store.prototype.get = function (callId, rule) {
    return this.data.reviews[callId + SEP + rule] || null;
  };
  Store.prototype.put = function (review) {
    this.reload();
    this.data.reviews[review.call_id + SEP + review.rule] = review;
    this.write();
  };
  Store.prototype.remove = function (callId, rule) {
    this.reload();
    delete this.data.reviews[callId + SEP + rule];
    this.write();
  };
  Store.prototype.list = function () {
    var reviews = this.data.reviews;
    return Object.keys(reviews).sort().map(function (k) { return reviews[k]; });
  };
  Store.prototype.reviewer = function () {
    try {
      return this.storage ? (this.storage.getItem("csqa-reviewer") || "") : (this.name || "");
    } catch (e) {
      return this.name || "";
    }
  };
  Store.prototype.setReviewer = function (name) {
    this.name = name;
    if (this.storage) {
      try { this.storage.setItem("csqa-reviewer", name); } catch (e) { /* kept in memory only */ }
    }
  };

  function fileName(reviewer, when) {
    var stamp = when.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    var who = reviewer.replace(/[\\/:*?"<>|\s\u0000-\u001f]+/g, "_").slice(0, 40);
    return "csqa-reviews-" + who + "-" + stamp + ".json";
  }

  /* The file of every review kept for this site; returns its name, or null when there is nothing to save. */
  function save(store, reviewer) {
    store.reload();
    var reviews = store.list();
    if (!reviews.length) return null;
    var when = new Date();
    var file = { format: FORMAT, reviewer: reviewer, saved_at: when.toISOString(), reviews: reviews };
    var blob = new Blob([JSON.stringify(file, null, 1) + "\n"], { type: "application/json" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = fileName(reviewer, when);
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    window.setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 4000);
    return link.download;
  }

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  /* The bar at the top of a page: the reviewer's name, Save, and how many reviews are kept. */
  function bar(store, T) {
    var name = document.getElementById("csqa-reviewer");
    var button = document.getElementById("csqa-save");
    var msg = document.getElementById("csqa-review-msg");
    var said = "";
    function refresh() {
      store.reload();
      var n = store.list().length;
      var parts = [format(T.count, { n: n })];
      if (!store.storage) parts.push(T.no_storage);
      if (said) parts.push(said);
      if (msg) msg.textContent = parts.join(" · ");
    }
    function message(text) {
      said = text;
      refresh();
    }
    if (name) {
      name.value = store.reviewer();
      name.addEventListener("input", function () { store.setReviewer(name.value.trim()); });
    }
    if (button) {
      button.addEventListener("click", function () {
        var reviewer = name ? name.value.trim() : store.reviewer();
        if (!reviewer) {
          message(T.need_name);
          if (name) name.focus();
          return;
        }
        var file = save(store, reviewer);
        message(file ? format(T.saved, { file: file }) : T.nothing);
      });
    }
    window.addEventListener("storage", refresh);
    refresh();
    return {
      refresh: refresh,
      message: message,
      reviewer: function () { return name ? name.value.trim() : store.reviewer(); },
      focusName: function () { if (name) name.focus(); }
    };
  }

  return { Store: Store, bar: bar, save: save, format: format, FORMAT: FORMAT };
})();
