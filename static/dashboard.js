// Draws the home page's charts from the figures the server embedded in #dashboard-data (Chart.js, served locally).
(function () {
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  Chart.defaults.font.family = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  Chart.defaults.animation = false;
  function bars(id, pairs, color, horizontal) {
    new Chart(document.getElementById(id), {
      type: "bar",
      data: { labels: pairs.map(function (p) { return p[0]; }),
              datasets: [{ data: pairs.map(function (p) { return p[1]; }), backgroundColor: color }] },
      options: { indexAxis: horizontal ? "y" : "x", plugins: { legend: { display: false } },
                 scales: { x: { ticks: { precision: 0 } }, y: { ticks: { precision: 0 } } } }
    });
  }
  bars("chart-status", data.status, "#4e79a7");
  bars("chart-category", data.category, "#59a14f");
  bars("chart-unit", data.unit, "#f28e2b", true);
  new Chart(document.getElementById("chart-trend"), {
    type: "line",
    data: { labels: data.weeks, datasets: [
      { label: "收集", data: data.collected, borderColor: "#4e79a7", backgroundColor: "#4e79a7" },
      { label: "办结", data: data.resolved, borderColor: "#e15759", backgroundColor: "#e15759" }
    ] },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  document.body.setAttribute("data-charts", "drawn");
})();
