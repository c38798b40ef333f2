/* csqa call page: the review controls of each verdict (right / wrong, the status it should have, a comment),
   kept with csqaReviews (reviews.js) as they change. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("csqa-data").textContent);
  var T = data.text;
  var main = document.querySelector("main.csqa");
  if (main) main.classList.add("js");
  var store = new csqaReviews.Store(data.root);
  var ui = csqaReviews.bar(store, T);
  var checks = {};
  data.checks.forEach(function (c) { checks[c.rule] = c; });

  Array.prototype.forEach.call(document.querySelectorAll("td.review[data-rule]"), function (cell) {
    var rule = cell.getAttribute("data-rule");
    var check = checks[rule];
    if (!check) return;
    var radios = cell.querySelectorAll("input[type=radio]");
    var right = radios[0], wrong = radios[1];
    var should = cell.querySelector(".should");
    var select = should.querySelector("select");
    var comment = cell.querySelector("textarea");
    var row = cell.parentNode;
    var clear = document.createElement("button");
    clear.type = "button";
    clear.className = "clear";
    clear.textContent = "×";
    clear.title = T.clear || "clear";
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
