// Draws every <canvas data-chart='{Chart.js configuration}'> on the page and
// marks it data-rendered="true" once Chart.js has drawn it (the browser test
// counts those).
document.addEventListener("DOMContentLoaded", () => {
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const chart = new Chart(canvas, JSON.parse(canvas.dataset.chart));
    if (chart.getDatasetMeta(0).data.length > 0) canvas.dataset.rendered = "true";
  }
});
