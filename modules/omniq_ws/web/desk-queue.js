/*
 * desk-queue.js: the sessions waiting for an agent, shown to the agents who may take them
 * (those of the channels they serve; a supervisor sees all), read again every 5 s while the
 * desk is open and in view ({"type":"queue"}). "Take" picks one up: a chat or an email is
 * the agent's at once, a call rings its phone. A supervisor gives one to a colleague who is
 * available ({"type":"pick","agent":...}), whatever routing thinks of them: routing never
 * offers a session again to one who declined it, nor to one without its skills.
 * The transfer box offers the tenant's agents and queues with their state
 * ({"type":"directory"}).
 */
(function () {
  "use strict";
  var st = window.omniqDesk, $ = function (id) { return document.getElementById(id); };
  var dir = { agents: {}, queues: {} }, timer = null, busy = false;

  function refresh() {
    if (busy || !st.ws || st.ws.readyState !== 1 || document.hidden) return;
    busy = true;
    st.send({ type: "queue" }, function (m) {
      busy = false;
      if (m.type === "ok") render(m.waiting || []);
    }, true);
    if (st.supervisor) directory();
  }

  function directory() {
    st.send({ type: "directory" }, function (m) {
      if (m.type !== "ok") return;
      dir = { agents: m.agents || {}, queues: m.queues || {} };
      targets();
    }, true);
  }

  /* "available 1/5" → who may be given something now */
  function available() {
    return Object.keys(dir.agents).sort().filter(function (id) {
      var v = dir.agents[id].split(" "), load = (v[1] || "0/0").split("/");
      return v[0] === "available" && +load[0] < +load[1];
    });
  }

  function render(list) {
    var ol = $("waiting");
    ol.textContent = "";
    $("waiting-count").textContent = list.length ? String(list.length) : "";
    $("waiting-empty").hidden = list.length > 0;
    list.forEach(function (w) {
      var li = st.el("li");
      li.dataset.sid = w.sid;
      li.appendChild(st.el("span", "ch " + w.channel, st.CH[w.channel] || w.channel));
      li.appendChild(st.el("span", "who", " " + st.who(w)));
      var since = Math.max(+w.enq || 0, +w.transfer_at || 0);
      li.appendChild(st.el("div", "meta", "queue " + w.queue + (w.skills ? " · needs " + w.skills : "") +
        (+w.priority ? " · priority " + w.priority : "") + " · waiting " + st.ago(since)));
      if (w.can_take === "1") take(li, w);
      if (st.supervisor) assign(li, w);
      ol.appendChild(li);
    });
  }

  function take(li, w) {
    var b = st.el("button", "take", w.channel === "phone" ? "Ring my phone" : "Take");
    b.type = "button";
    b.addEventListener("click", function () {
      st.send({ type: "pick", sid: w.sid }, function (m) {
        if (m.type === "ok") { st.select(w.sid); refresh(); }
      });
    });
    li.appendChild(b);
  }

  /* a supervisor's: give it to an available colleague */
  function assign(li, w) {
    var sel = st.el("select", "to");
    sel.setAttribute("aria-label", "Assign to");
    sel.appendChild(st.el("option", "", "assign to…")).value = "";
    available().forEach(function (id) {
      if (id !== st.agent) sel.appendChild(st.el("option", "", id + " (" + dir.agents[id] + ")")).value = id;
    });
    var go = st.el("button", "secondary assign", "Assign");
    go.type = "button";
    go.addEventListener("click", function () {
      if (!sel.value) { $("act-err").textContent = "Choose the agent to assign it to"; return; }
      st.send({ type: "pick", sid: w.sid, agent: sel.value }, function (m) { if (m.type === "ok") refresh(); });
    });
    li.appendChild(st.el("br"));
    li.appendChild(sel);
    li.appendChild(go);
  }

  /* the transfer box's suggestions: agents with their state, or queues with their wait */
  function targets() {
    var dl = $("transfer-targets"), queue = $("transfer-kind").value === "queue";
    dl.textContent = "";
    var names = queue ? Object.keys(dir.queues).sort() : Object.keys(dir.agents).sort();
    names.forEach(function (id) {
      if (!queue && id === st.agent) return;
      var o = st.el("option");
      o.value = id;
      o.label = queue ? dir.queues[id] + " waiting" : dir.agents[id];
      dl.appendChild(o);
    });
  }
  $("transfer-kind").addEventListener("change", targets);
  $("transfer-target").addEventListener("focus", directory);

  document.addEventListener("visibilitychange", refresh);
  st.hooks.push({
    /* after a change of its own sessions the queue has often moved too */
    inbox: function (m) {
      if (m.type === "welcome") {
        clearInterval(timer);
        timer = setInterval(refresh, 5000);
        busy = false;
      }
      refresh();
    },
    select: function (sid) { if (sid) directory(); }
  });
})();
