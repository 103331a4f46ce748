// The console's small behaviours: confirmations, auto-submit selects, the mapping rows,
// the Run now progress poller and the counts chart. No inline scripts (the CSP forbids them).
(function () {
  "use strict";

  document.querySelectorAll("form.confirm").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm || "Are you sure?")) { event.preventDefault(); }
    });
  });

  document.querySelectorAll("select.autosubmit").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Add account: typing a login URL selects "My Domain / other".
  var loginUrl = document.getElementById("login-url");
  if (loginUrl) {
    loginUrl.addEventListener("input", function () { document.getElementById("org-custom").checked = true; });
  }

  // Wizard screen 3: mapping rows.
  var optionsNode = document.getElementById("target-options");
  var table = document.getElementById("mapping");
  if (optionsNode && table) {
    var data = JSON.parse(optionsNode.textContent || "{}");
    var options = data.targets || {}, labels = data.labels || {};
    var body = table.querySelector("tbody");
    var template = document.getElementById("row-template");
    var save = document.getElementById("save");

    var rows = function () { return Array.prototype.slice.call(body.querySelectorAll("tr.map-row")); };
    var fill = function (select, values, chosen, placeholder, names) {
      select.innerHTML = "";
      var blank = document.createElement("option");
      blank.value = ""; blank.textContent = placeholder;
      select.appendChild(blank);
      values.forEach(function (value) {
        var option = document.createElement("option");
        option.value = value; option.textContent = (names && names[value]) || value;
        if (value === chosen) { option.selected = true; }
        select.appendChild(option);
      });
    };
    var refresh = function () {
      var usedColumns = {}, usedFields = {};
      rows().forEach(function (row) {
        var c = row.querySelector(".map-column").dataset.value, f = row.querySelector(".map-field").dataset.value;
        if (c) { usedColumns[c] = true; }
        if (f) { usedFields[f] = true; }
      });
      var valid = 0;
      rows().forEach(function (row) {
        var column = row.querySelector(".map-column"), field = row.querySelector(".map-field");
        var c = column.dataset.value || "", f = field.dataset.value || "";
        var columns = Object.keys(options).filter(function (name) {
          return name === c || (!usedColumns[name] && options[name].length);
        });
        fill(column, columns, c, "— report column —", labels);
        var fields = (options[c] || []).filter(function (name) { return name === f || !usedFields[name]; });
        fill(field, fields, f, c ? "— Salesforce field —" : "— choose a column first —");
        if (c && f && fields.indexOf(f) >= 0) { valid += 1; }
      });
      if (save) { save.disabled = valid < 1; }
    };
    var wire = function (row) {
      row.querySelector(".map-column").addEventListener("change", function (event) {
        event.target.dataset.value = event.target.value;
        row.querySelector(".map-field").dataset.value = "";
        refresh();
      });
      row.querySelector(".map-field").addEventListener("change", function (event) {
        event.target.dataset.value = event.target.value; refresh();
      });
      row.querySelector(".delete-row").addEventListener("click", function () { row.remove(); refresh(); });
    };
    rows().forEach(wire);
    document.getElementById("add-column").addEventListener("click", function () {
      var row = template.content.firstElementChild.cloneNode(true);
      body.appendChild(row); wire(row); refresh();
    });
    if (!rows().length) { document.getElementById("add-column").click(); }
    refresh();
  }

  // Run now: poll the progress until the run ends.
  var progress = document.getElementById("run-progress");
  if (progress) {
    var set = function (id, value) { var node = document.getElementById(id); if (node) { node.textContent = value; } };
    var poll = function () {
      fetch(progress.dataset.progressUrl, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (run) {
          set("run-status", run.status); set("run-elapsed", run.elapsed);
          set("rows-read", run.rows_read); set("rows-matched", run.matched); set("rows-written", run.written);
          Object.keys(run.counts).forEach(function (key) { set("count-" + key, run.counts[key]); });
          set("run-error", run.error || ""); set("run-tail", (run.tail || []).join("\n"));
          var badge = document.getElementById("run-status");
          badge.className = "badge " + (run.running ? "run" : (run.status === "completed" ? "good" : "bad"));
          if (run.running) { window.setTimeout(poll, 1000); }
          else { document.getElementById("run-done").classList.remove("hidden"); progress.dataset.finished = "true"; }
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    };
    poll();
  }

  // Log: counts over time.
  var chartNode = document.getElementById("chart-data");
  var canvas = document.getElementById("counts-chart");
  if (chartNode && canvas && window.Chart) {
    var data = JSON.parse(chartNode.textContent || "{}");
    var colours = { updated: "#127a3a", unchanged: "#64748b", unmatched: "#b45309", ambiguous: "#7c3aed", failed: "#b42318", rejected: "#db2777" };
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels || [],
        datasets: Object.keys(data.series || {}).map(function (key) {
          return { label: key, data: data.series[key], borderColor: colours[key], backgroundColor: colours[key], tension: 0.2 };
        })
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    canvas.dataset.rendered = "true";
  }
})();
