// A point's results with the alert and action limits in force at each sampling and the SPC centre
// and control limits. The figures come from the page's JSON (json_script), never from inline code.
(function () {
  "use strict";
  const canvas = document.getElementById("em-chart");
  const source = document.getElementById("em-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const d = JSON.parse(source.textContent);
  const ds = canvas.dataset;
  function line(label, values, colour, dash) {
    return { label: label, data: values, borderColor: colour, borderDash: dash || [], pointRadius: 0,
             borderWidth: 1.2, fill: false, spanGaps: true };
  }
  const sets = [{
    label: ds.valueLabel, data: d.values, borderColor: "#1f77b4", borderWidth: 1.5,
    pointRadius: 3.5,
    pointBackgroundColor: d.flagged.map(function (f) { return f ? "#c0392b" : "#1f77b4"; }),
  }];
  if (d.alert.some(function (v) { return v !== null; })) sets.push(line(ds.alertLabel, d.alert, "#d68910", [6, 3]));
  if (d.action.some(function (v) { return v !== null; })) sets.push(line(ds.actionLabel, d.action, "#c0392b", []));
  if (d.center) {
    sets.push(line(ds.centreLabel, d.center, "#566573", []));
    sets.push(line(ds.uclLabel, d.ucl, "#95a5a6", [2, 3]));
  }
  new Chart(canvas, { type: "line", data: { labels: d.labels, datasets: sets },
    options: { animation: false, scales: { y: { beginAtZero: true, title: { display: true, text: ds.ylabel } } } } });
})();
