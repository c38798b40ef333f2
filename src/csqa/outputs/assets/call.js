/* csqa call page: the review controls of each verdict (right / wrong, the status it should have, a comment),
   added to the rule table from the page's data (so that a page read without JavaScript has no dead controls),
   and kept with csqaReviews (reviews.js) as they change. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("csqa-data").textContent);
  var T = data.text;
  var main = document.querySelector("main.csqa");
  if (main) main.classList.add("js");
  var store = new csqaReviews.Store(data.root);
  var ui = csqaReviews.bar(store, T);
  var STATUSES = ["pass", "fail", "not_applicable", "not_assessable"];
  var checks = {};
  data.checks.forEach(function (c) { checks[c.rule] = c; });

  function element(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  /* One cell: right / wrong, the status it should have (shown when wrong), a comment. */
  /* The controls' state comes from the kept reviews (show, below): autocomplete="off" keeps the browser's own
     restoring of form state on a reload from overwriting it. */
  function controls(check, index) {
    var name = "csqa-rv-" + index;
    var right = element("input", { type: "radio", name: name, value: "right", autocomplete: "off" });
    var wrong = element("input", { type: "radio", name: name, value: "wrong", autocomplete: "off" });
    var select = element("select", { autocomplete: "off" }, STATUSES.filter(function (s) { return s !== check.status; }).map(function (s) {
      return element("option", { value: s }, [T["status." + s] || s]);
    }));
    select.value = check.status === "fail" ? "pass" : "fail";
    var should = element("label", { "class": "should" }, [T.should_be + " ", select]);
    should.hidden = true;
    var comment = element("textarea", { rows: "1", placeholder: T.comment, "aria-label": T.comment, autocomplete: "off" });
    return element("td", { "class": "review", "data-rule": check.rule }, [
      element("label", {}, [right, " " + T.right]), element("label", {}, [wrong, " " + T.wrong]), should, comment]);
  }

  var table = document.querySelector("table.rules");
  if (table && table.tHead) table.tHead.rows[0].appendChild(element("th", {}, [T.column]));
  Array.prototype.forEach.call(document.querySelectorAll("table.rules tbody tr[data-rule]"), function (row, index) {
    var rule = row.getAttribute("data-rule");
    var check = checks[rule];
    if (!check) return;
    var cell = controls(check, index);
    row.appendChild(cell);
    var radios = cell.querySelectorAll("input[type=radio]");
    var right = radios[0], wrong = radios[1];
    var should = cell.querySelector(".should");
    var select = should.querySelector("select");
    var comment = cell.querySelector("textarea");
    var clear = document.createElement("button");
    clear.type = "button";
    clear.className = "clear";
    clear.textContent = "×";
    clear.title = T.clear;
    clear.hidden = true;
    cell.insertBefore(clear, should);

    function show(review) {
      right.checked = !!review && review.status === check.status;
      wrong.checked = !!review && review.status !== check.status;
      should.hidden = !wrong.checked;
      if (review && review.status !== check.status) select.value = review.status;
      if (review && document.activeElement !== comment) comment.value = review.comment || "";
      clear.hidden = !review;
      row.classList.toggle("reviewed-right", right.checked);
      row.classList.toggle("reviewed-wrong", wrong.checked);
    }

    function record() {
      var reviewer = ui.reviewer();
      if (!reviewer) {
        show(store.get(data.call_id, rule));
        ui.message(T.need_name);
        ui.focusName();
        return;
      }
      if (!right.checked && !wrong.checked) return;
      store.put({
        call_id: data.call_id,
        rule: rule,
        code: check.code,
        csqa_status: check.status,
        status: right.checked ? check.status : select.value,
        comment: comment.value.trim(),
        reviewer: reviewer,
        time: new Date().toISOString(),
        csqa_version: data.csqa_version,
        scorecard: data.scorecard
      });
      show(store.get(data.call_id, rule));
      ui.refresh();
    }

    var pending = 0;
    right.addEventListener("change", record);
    wrong.addEventListener("change", record);
    select.addEventListener("change", record);
    comment.addEventListener("change", record);
    comment.addEventListener("input", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(record, 400);
    });
    clear.addEventListener("click", function () {
      store.remove(data.call_id, rule);
      comment.value = "";
      show(null);
      ui.refresh();
    });
    show(store.get(data.call_id, rule));
  });

  window.addEventListener("storage", function () {
    store.reload();
  });
})();
