/*
 * A mailed survey link's page: /survey/<tenant>/<session>/<token>#csat|nps|both. Opening it
 * records nothing (mail scanners open links); the answer is sent only when the customer
 * presses Send, as JSON to the same address. ?csat=N preselects a score.
 */
(function () {
  "use strict";
  var kind = (location.hash || "#csat").slice(1), picked = {}, form = document.getElementById("survey"),
      send = document.getElementById("send"), said = document.getElementById("said");
  var ask = { csat: kind === "csat" || kind === "both", nps: kind === "nps" || kind === "both" };
  if (!ask.csat && !ask.nps) ask.csat = true;

  function ready() {
    send.disabled = !((!ask.csat || picked.csat != null) && (!ask.nps || picked.nps != null));
  }
  function pick(row, key, n) {
    picked[key] = n;
    Array.prototype.forEach.call(row.children, function (b) {
      b.setAttribute("aria-pressed", String(+b.textContent === n));
    });
    ready();
  }
  function buttons(key, lo, hi) {
    var row = document.getElementById(key);
    for (var i = lo; i <= hi; i++) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = String(i);
      b.setAttribute("aria-pressed", "false");
      b.setAttribute("aria-label", key.toUpperCase() + " " + i);
      b.addEventListener("click", pick.bind(null, row, key, i));
      row.appendChild(b);
    }
    document.getElementById(key + "-set").hidden = false;
    var pre = new URLSearchParams(location.search).get(key);
    if (pre !== null && +pre >= lo && +pre <= hi) pick(row, key, +pre);
  }
  if (ask.csat) buttons("csat", 1, 5);
  if (ask.nps) buttons("nps", 0, 10);
  form.hidden = false;
  ready();

  form.addEventListener("submit", function (ev) {
    var body = {}, comment = document.getElementById("comment").value.trim();
    ev.preventDefault();
    if (picked.csat != null) body.csat = picked.csat;
    if (picked.nps != null) body.nps = picked.nps;
    if (comment) body.comment = comment;
    send.disabled = true;
    fetch(location.pathname, { method: "POST", headers: { "Content-Type": "application/json" },
                               body: JSON.stringify(body), credentials: "omit" })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, j: j }; }); })
      .then(function (a) {
        if (a.status === 200) {
          form.hidden = true;
          said.textContent = a.j.thanks || "谢谢! Thank you!";
        } else if (a.status === 409) {
          form.hidden = true;
          said.textContent = "这份评价已提交或已过期。This survey was answered already, or its time is over.";
        } else if (a.status === 404) {
          form.hidden = true;
          said.textContent = "链接无效。This link is not valid.";
        } else {
          said.textContent = (a.j && a.j.error && a.j.error.message) || "Please try again later.";
          ready();
        }
      })
      .catch(function () { said.textContent = "网络错误, 请稍后再试。Please try again later."; ready(); });
  });
})();
