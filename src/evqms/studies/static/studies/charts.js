/* Chart.js drawings for the studies pages; data comes from json_script blocks. */
(function () {
  "use strict";
  const COLOURS = ["#1f5f8b", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#566573"];
  function data(id) { const el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function xy(pairs) { return pairs.map(function (p) { return { x: p[0], y: p[1] }; }); }
  function label(canvas, key) { return canvas.dataset[key] || ""; }
  function axes(canvas, xType) {
    return {
      x: { type: xType || "linear", title: { display: true, text: label(canvas, "xlabel") } },
      y: { title: { display: true, text: label(canvas, "ylabel") } },
    };
  }

  function sizeChart(canvas, series) {
    new Chart(canvas, {
      type: "scatter",
      data: { datasets: series.map(function (s, i) {
        return { label: s.label, data: s.x.map(function (x, k) { return { x: x, y: s.y[k] }; }),
                 showLine: true, pointRadius: 0, borderWidth: i === 0 ? 2 : 1,
                 borderColor: COLOURS[i % COLOURS.length] };
      }) },
      options: { animation: false, scales: axes(canvas) },
    });
  }

  function doseChart(canvas, curves) {
    const sets = [];
    curves.curves.forEach(function (c, i) {
      const colour = COLOURS[i % COLOURS.length];
      sets.push({ label: c.label, data: xy(c.points), backgroundColor: colour, pointRadius: 3 });
      sets.push({ label: c.label + " fit", data: xy(c.fit), showLine: true, pointRadius: 0,
                  borderColor: colour, borderWidth: 2 });
    });
    new Chart(canvas, { type: "scatter", data: { datasets: sets },
                        options: { animation: false, scales: axes(canvas, "logarithmic") } });
  }

  function controlChart(canvas, d) {
    const line = function (name, values, colour, dash) {
      return { label: name, data: values, borderColor: colour, borderDash: dash || [], pointRadius: 0,
               borderWidth: 1, stepped: "middle", fill: false };
    };
    // rejected and recalled lots stay on the chart, drawn as a triangle with their status
    const marked = d.marked || d.values.map(function () { return ""; });
    const sets = [{
      label: canvas.dataset.valueLabel, data: d.values, borderColor: COLOURS[0], borderWidth: 1.5,
      pointRadius: d.flagged.map(function (f, i) { return f || marked[i] ? 6 : 3; }),
      pointStyle: marked.map(function (m) { return m ? "triangle" : "circle"; }),
      pointBackgroundColor: d.flagged.map(function (f, i) {
        return f ? "#c0392b" : (marked[i] ? "#ffffff" : COLOURS[0]); }),
      pointBorderColor: marked.map(function (m) { return m ? "#8e44ad" : COLOURS[0]; }),
    }];
    if (d.center) {
      sets.push(line(canvas.dataset.centreLabel, d.center, "#566573"),
                line("UCL", d.ucl, "#d68910", [6, 4]), line("LCL", d.lcl, "#d68910", [6, 4]));
    }
    if (d.lsl) sets.push(line("LSL", d.lsl, "#c0392b", [2, 3]));
    if (d.usl) sets.push(line("USL", d.usl, "#c0392b", [2, 3]));
    const labels = d.labels.map(function (l, i) { return marked[i] ? l + " (" + marked[i] + ")" : l; });
    new Chart(canvas, { type: "line", data: { labels: labels, datasets: sets },
                        options: { animation: false, scales: { y: { title: { display: true,
                          text: label(canvas, "ylabel") } } } } });
  }

  function movingRangeChart(canvas, d) {
    const mr = d.mr;
    const line = function (name, values, colour, dash) {
      return { label: name, data: values, borderColor: colour, borderDash: dash || [], pointRadius: 0,
               borderWidth: 1, fill: false };
    };
    const sets = [{
      label: canvas.dataset.valueLabel, data: mr.values, borderColor: COLOURS[5], borderWidth: 1.2,
      spanGaps: false, pointRadius: mr.flagged.map(function (f) { return f ? 6 : 2; }),
      pointBackgroundColor: mr.flagged.map(function (f) { return f ? "#c0392b" : COLOURS[5]; }),
    }, line(canvas.dataset.centreLabel, mr.center, "#566573"), line("UCL", mr.ucl, "#d68910", [6, 4])];
    new Chart(canvas, { type: "line", data: { labels: d.labels, datasets: sets },
                        options: { animation: false, scales: { y: { min: 0, title: { display: true,
                          text: label(canvas, "ylabel") } } } } });
  }

  function stabilityChart(canvas, a) {
    const sets = [];
    a.series.forEach(function (s, i) {
      const colour = COLOURS[i % COLOURS.length];
      sets.push({ label: s.batch, data: xy(s.points), backgroundColor: colour, pointRadius: 3 });
      sets.push({ label: s.batch + " fit", data: xy(s.line), showLine: true, pointRadius: 0,
                  borderColor: colour, borderWidth: 1.5 });
      if (s.batch === a.decisive_batch) {
        ["lower_bound", "upper_bound"].forEach(function (key) {
          if (a.limits[key === "lower_bound" ? "lower" : "upper"] !== null) {
            sets.push({ label: s.batch + " 95%", data: xy(s[key]), showLine: true, pointRadius: 0,
                        borderColor: colour, borderDash: [6, 4], borderWidth: 1 });
          }
        });
      }
    });
    ["lower", "upper"].forEach(function (key) {
      if (a.limits[key] !== null) {
        sets.push({ label: key === "lower" ? "LSL" : "USL", data: [{ x: 0, y: a.limits[key] },
                    { x: a.grid_end, y: a.limits[key] }], showLine: true, pointRadius: 0,
                    borderColor: "#c0392b", borderDash: [2, 3], borderWidth: 1 });
      }
    });
    new Chart(canvas, { type: "scatter", data: { datasets: sets },
                        options: { animation: false, scales: axes(canvas) } });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      const d = data(canvas.dataset.source);
      if (!d) return;
      ({ size: sizeChart, dose: doseChart, control: controlChart, "moving-range": movingRangeChart,
         stability: stabilityChart })[canvas.dataset.chart](canvas, d);
    });
  });
})();
