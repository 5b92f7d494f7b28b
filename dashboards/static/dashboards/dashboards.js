// Draws every [data-figure] graph from its JSON <script>, and refreshes the page's live part
// on an interval by fetching ?fragment=1 (no full reload). A zoomed range pauses the refresh
// until the zoom is reset, so a selection is never thrown away under the user.
(function () {
  "use strict";
  var paused = false;

  function draw(root) {
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source) return;
      var fig = JSON.parse(source.textContent);
      Plotly.react(el, fig.data, fig.layout, { displaylogo: false, responsive: true });
      el.dataset.points = fig.data.reduce(function (n, t) { return n + ((t.x || []).length); }, 0);
      el.on("plotly_relayout", function (ev) {
        if (ev["xaxis.range[0]"] !== undefined || ev["xaxis.range"] !== undefined) setPaused(true);
        if (ev["xaxis.autorange"]) setPaused(false);
      });
      if (el.dataset.linkTemplate) {
        el.on("plotly_click", function (ev) {
          var id = ev.points && ev.points[0] && ev.points[0].customdata;
          if (id) window.location = el.dataset.linkTemplate.replace("0", id);
        });
      }
    });
  }

  function setPaused(value) {
    paused = value;
    var state = document.querySelector(".refresh-state");
    if (state) state.textContent = value ? "auto-refresh paused while a range is selected"
                                         : "auto-refresh on";
  }

  function refresh(live) {
    if (paused || document.hidden) return;
    var url = new URL(window.location.href);
    url.searchParams.set("fragment", "1");
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        live.innerHTML = html;
        draw(live);
        live.dataset.refreshedAt = new Date().toISOString();
      })
      .catch(function () { /* keep the last good view; the next tick retries */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("live");
    draw(document);
    if (live && live.dataset.refresh) {
      setPaused(false);
      window.setInterval(function () { refresh(live); }, 1000 * Number(live.dataset.refresh));
    }
  });
})();
