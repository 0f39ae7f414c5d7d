// The landscape page's charts (trials by phase and start year, PubMed records by year), from the
// JSON the page carries in #landscape-charts.
(function () {
  const data = JSON.parse(document.getElementById("landscape-charts").textContent);
  const colours = {therapeutic: "#0b5f8a", biomarker: "#e0a100", unrelated: "#a3abb8"};
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 13;
  Chart.defaults.animation = false;
  function stacked(id, part, xTitle) {
    const el = document.getElementById(id);
    if (!el) return;
    new Chart(el, {
      type: "bar",
      data: {
        labels: data.trials[part].labels,
        datasets: data.categories.map(c => ({label: c.label, data: data.trials[part].series[c.key], backgroundColor: colours[c.key]})),
      },
      options: {
        maintainAspectRatio: false,
        plugins: {legend: {position: "bottom"}},
        scales: {
          x: {stacked: true, title: {display: true, text: xTitle}},
          y: {stacked: true, beginAtZero: true, ticks: {precision: 0}, title: {display: true, text: data.text.trials}},
        },
      },
    });
  }
  stacked("chart-phases", "phases", data.text.phase);
  stacked("chart-years", "years", data.text.start_year);
  const pub = document.getElementById("chart-pubmed");
  if (pub) {
    const lineColours = ["#0b5f8a", "#c2410c", "#1f7a3f"];
    new Chart(pub, {
      type: "line",
      data: {
        labels: data.pubmed.labels,
        // One axis for every series (two axes made curves of very different size look alike);
        // logarithmic when one query finds LOG_SCALE_RATIO (5) times more records than another (selectors.pubmed_chart).
        datasets: data.pubmed.series.map((s, i) => ({
          label: (data.text[s.name] || s.name) + " · " + (s.query.length > 60 ? s.query.slice(0, 59) + "…" : s.query) + " · " + data.text.retrieved + " " + s.retrieved_on,
          data: s.data, borderColor: lineColours[i % 3], backgroundColor: lineColours[i % 3],
          tension: 0.2, pointRadius: 3, spanGaps: false,
        })),
      },
      options: {
        maintainAspectRatio: false,
        plugins: {legend: {position: "bottom", labels: {boxWidth: 12}}},
        scales: {
          x: {title: {display: true, text: data.text.year}},
          y: data.pubmed.scale === "logarithmic"
            ? {type: "logarithmic", title: {display: true, text: data.text.records + " (" + data.text.log_scale + ")"}}
            : {beginAtZero: true, ticks: {precision: 0}, title: {display: true, text: data.text.records}},
        },
      },
    });
  }
})();
