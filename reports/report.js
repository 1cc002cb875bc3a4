// Filtering of the resources and evidence table. No library, no request: the page stays
// self-contained (its Content-Security-Policy allows this script by its hash and nothing else).
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("findings");
  if (!form || !table) return;
  var text = document.getElementById("filter");
  var status = document.getElementById("filter-status");
  var severity = document.getElementById("filter-severity");
  var category = document.getElementById("filter-category");
  var onlyNew = document.getElementById("filter-new");
  var count = document.getElementById("filter-count");
  var noMatch = document.getElementById("no-match");
  var rank = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

  // Text of each group's header and rows, lower-cased once.
  var groups = Array.prototype.map.call(table.tBodies, function (body) {
    var head = body.querySelector("tr.head");
    return {
      body: body,
      head: head ? head.textContent.toLowerCase() : "",
      rows: Array.prototype.map.call(body.querySelectorAll("tr.finding"), function (row) {
        return { row: row, text: row.textContent.toLowerCase() };
      })
    };
  });
  var total = groups.reduce(function (n, g) { return n + g.rows.length; }, 0);

  function matches(row, wanted) {
    var d = row.dataset;
    if (wanted.status === "notpass" ? d.status === "pass" : wanted.status && d.status !== wanted.status) return false;
    if (wanted.severity && rank[d.severity] < rank[wanted.severity]) return false;
    if (wanted.category && d.category !== wanted.category) return false;
    if (wanted.onlyNew && d.baseline !== "new") return false;
    return true;
  }

  function apply() {
    var terms = text.value.toLowerCase().split(/\s+/).filter(Boolean);
    var wanted = {
      status: status.value,
      severity: severity.value,
      category: category.value,
      onlyNew: onlyNew ? onlyNew.checked : false
    };
    var shownRows = 0, shownGroups = 0;
    groups.forEach(function (g) {
      var visible = 0;
      g.rows.forEach(function (r) {
        var ok = matches(r.row, wanted) && terms.every(function (t) {
          return r.text.indexOf(t) >= 0 || g.head.indexOf(t) >= 0;
        });
        r.row.hidden = !ok;
        if (ok) visible++;
      });
      g.body.hidden = visible === 0;
      shownRows += visible;
      if (visible) shownGroups++;
    });
    count.textContent = shownRows === total
      ? total + " checks on " + groups.length + " resources"
      : shownRows + " of " + total + " checks on " + shownGroups + " resources";
    noMatch.hidden = shownRows !== 0;
  }

  var pending = null;
  text.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(apply, total > 20000 ? 200 : 60);
  });
  [status, severity, category, onlyNew].forEach(function (el) {
    if (el) el.addEventListener("change", apply);
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });

  // The summary cards filter by their status.
  Array.prototype.forEach.call(document.querySelectorAll(".card[data-status]"), function (card) {
    card.addEventListener("click", function () {
      status.value = card.dataset.status;
      apply();
    });
  });

  // A link to a resource clears the filters that would hide it.
  window.addEventListener("hashchange", function () {
    var target = document.getElementById(location.hash.slice(1));
    if (target && target.hidden) {
      text.value = ""; status.value = ""; severity.value = ""; category.value = "";
      if (onlyNew) onlyNew.checked = false;
      apply();
      target.scrollIntoView();
    }
  });
})();
