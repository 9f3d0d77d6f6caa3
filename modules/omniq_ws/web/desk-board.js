/*
 * desk-board.js: figures in the desk (lua/76_report.lua, desk_board.h). Every agent sees its
 * own of the day in the header ({"type":"figures"}, every 30 s). A supervisor opens the
 * wallboard ({"type":"board"}, every 10 s while open): queues (waiting now, the longest
 * wait, the day's service level, answer and abandon rates, satisfaction, alerts), agents
 * (state and time in it, load, the day's sessions, handle time, CSAT), the day's service
 * level and satisfaction by 15 minutes as charts, the staffing of each 15 minutes (the agents
 * Erlang C says its arrivals and handle time needed, beside those available), and the
 * complaints by tag. Waiting
 * sessions are reassigned from the queue view (desk-queue.js). Every value is written as
 * text: nothing the server sends is read as HTML.
 */
(function () {
  "use strict";
  var st = window.omniqDesk, $ = function (id) { return document.getElementById(id); };
  var timer = null, mine = null, SVG = "http://www.w3.org/2000/svg";

  function midnight() { var d = new Date(); d.setHours(0, 0, 0, 0); return d.getTime(); }
  function span(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return s + " s";
    if (s < 5400) return Math.round(s / 60) + " min";
    return Math.floor(s / 3600) + " h " + Math.round(s % 3600 / 60) + " min";
  }
  function or(v, unit) { return v === "" || v == null ? "–" : v + (unit || ""); }

  function figures() {
    if (!st.ws || st.ws.readyState !== 1) return;
    st.send({ type: "figures", day: midnight() }, function (m) {
      if (m.type !== "ok") return;
      var f = m.figures || {};
      $("my-figures").textContent = f.answered ? "Today: " + f.answered + " answered · handle " +
        or(f.aht_s, " s") + " · CSAT " + or(f.csat_avg) : "Today: none yet";
    }, true);
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function table(id, rows, cols) {
    var tb = $(id);
    tb.textContent = "";
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      cols.forEach(function (c) { cell(tr, c(r)); });
      tb.appendChild(tr);
    });
  }

  /* a line over the day's intervals: values of key (0..max), labelled */
  function chart(id, rows, key, max) {
    var svg = $(id), w = 480, h = 120, pts = [];
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    rows.forEach(function (r) {
      if (r[key] === "" || r[key] == null) return;
      var d = new Date(+r.name), x = (d.getHours() * 60 + d.getMinutes()) / 1440 * w;
      pts.push(x.toFixed(1) + "," + (h - Math.min(+r[key], max) / max * h).toFixed(1));
    });
    var base = document.createElementNS(SVG, "line");
    base.setAttribute("x1", 0); base.setAttribute("x2", w);
    base.setAttribute("y1", h); base.setAttribute("y2", h);
    base.setAttribute("class", "axis");
    svg.appendChild(base);
    var line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", pts.join(" "));
    line.setAttribute("class", "series");
    svg.appendChild(line);
    pts.forEach(function (p) {
      var c = document.createElementNS(SVG, "circle"), xy = p.split(",");
      c.setAttribute("cx", xy[0]); c.setAttribute("cy", xy[1]); c.setAttribute("r", 3);
      svg.appendChild(c);
    });
    svg.setAttribute("data-points", String(pts.length));
  }

  function board() {
    if (!st.ws || st.ws.readyState !== 1 || $("board").hidden) return;
    st.send({ type: "board", day: midnight() }, function (m) {
      if (m.type !== "ok") { $("board-err").textContent = m.message || "The board cannot be read"; return; }
      $("board-err").textContent = "";
      var by = { queue: [], agent: [], interval: [], tag: [] }, now = Date.now();
      (m.rows || []).forEach(function (r) { (by[r.kind] || []).push(r); });
      table("board-queues", by.queue, [
        function (r) { return r.name; }, function (r) { return r.waiting; },
        function (r) { return +r.waiting ? span(+r.longest_ms) : "–"; },
        function (r) { return r.offered; }, function (r) { return r.answered; },
        function (r) { return or(r.sl_pct, " %"); }, function (r) { return or(r.asa_s, " s"); },
        function (r) { return or(r.abandon_pct, " %"); }, function (r) { return or(r.csat_avg); },
        function (r) { return or(r.nps); }, function (r) { return or(r.fcr_pct, " %"); },
        function (r) { return r.sla1 + " / " + r.sla2 + " / " + r.sla3; }]);
      table("board-agents", by.agent, [
        function (r) { return r.agent_name ? r.agent_name + " (" + r.name + ")" : r.name; },
        function (r) { return r.state; },
        function (r) { return r.since ? span(now - +r.since) : "–"; },
        function (r) { return r.load + "/" + r.cap; }, function (r) { return r.answered; },
        function (r) { return or(r.aht_s, " s"); }, function (r) { return or(r.csat_avg); }]);
      table("board-staffing", by.interval.filter(function (r) { return +r.offered > 0; }), [
        function (r) { var d = new Date(+r.name); return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2); },
        function (r) { return r.offered; }, function (r) { return or(r.agents_needed); },
        function (r) { return or(r.agents_available); }]);
      chart("chart-sl", by.interval, "sl_pct", 100);
      chart("chart-csat", by.interval, "csat_avg", 5);
      by.tag.sort(function (a, b) { return b.complaints - a.complaints || (a.name < b.name ? -1 : 1); });
      table("board-tags", by.tag, [function (r) { return r.name; }, function (r) { return r.complaints; }]);
      $("board-tags-none").hidden = by.tag.length > 0;
    }, true);
  }

  $("board-btn").addEventListener("click", function () {
    $("board").hidden = !$("board").hidden;
    $("board-btn").setAttribute("aria-pressed", String(!$("board").hidden));
    board();
  });

  /* once the desk has said who we are (desk.js sets st.supervisor at the welcome) */
  setInterval(function () {
    if (!st.ws || st.ws.readyState !== 1) return;
    $("board-btn").hidden = !st.supervisor;
    if (mine === null) { mine = setInterval(figures, 30000); figures(); }
    if (!timer && st.supervisor) timer = setInterval(board, 10000);
  }, 1000);
})();
