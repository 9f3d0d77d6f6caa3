/*
 * omniq agent desk: plain JS, no dependencies. Logs in with POST /api/v1/desk/login, then
 * keeps one WebSocket to /ws/agent (protocol "omniq-agent", see docs/agent.md). The server
 * sends the whole inbox after every change, so this page only renders what it is told; it
 * reconnects with the same token after a network loss. window.omniqDesk exposes the state.
 */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var wsUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/agent";
  var CH = { phone: "☎ phone", web: "web", wechat: "WeChat", sms: "SMS", email: "email", app: "app" };
  var st = { token: sessionStorage.getItem("omniq-desk:token"), agent: "", inbox: [], sel: null,
             ws: null, rid: 0, waiting: {}, transcripts: {}, retry: 0 };
  window.omniqDesk = st;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function ago(ms) {
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    return s < 60 ? s + " s" : s < 3600 ? Math.floor(s / 60) + " min" : Math.floor(s / 3600) + " h";
  }
  function send(msg, done) {
    if (!st.ws || st.ws.readyState !== 1) { $("act-err").textContent = "Not connected"; return; }
    msg.rid = String(++st.rid);
    if (done) st.waiting[msg.rid] = done;
    st.ws.send(JSON.stringify(msg));
  }

  /* ---- login ---- */
  /* a company's desk link may name it: /desk/?tenant=acme */
  $("login").tenant.value = new URLSearchParams(location.search).get("tenant") || "";
  $("login").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target, body = { agent: f.agent.value.trim(), password: f.password.value };
    if (f.tenant.value.trim()) body.tenant = f.tenant.value.trim();
    $("login-err").textContent = "";
    fetch("/api/v1/desk/login", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        if (!res.ok) { $("login-err").textContent = res.j.error ? res.j.error.message : "Login failed"; return; }
        st.token = res.j.token;
        sessionStorage.setItem("omniq-desk:token", st.token);
        connect();
      })
      .catch(function () { $("login-err").textContent = "Server unreachable"; });
  });
  /* offline, then the logout: it ends every token of this agent (other tabs and devices
     too); the server closes this socket with "logged out" */
  $("logout").addEventListener("click", function () {
    send({ type: "state", state: "offline" }, function () {
      send({ type: "logout" }, function () {
        sessionStorage.removeItem("omniq-desk:token");
        location.reload();
      });
    });
  });

  /* ---- socket ---- */
  function connect() {
    var ws = new WebSocket(wsUrl, "omniq-agent");
    st.ws = ws;
    $("conn").textContent = "connecting…";
    ws.onopen = function () { ws.send(JSON.stringify({ type: "hello", token: st.token })); };
    ws.onmessage = function (ev) { onMessage(JSON.parse(ev.data)); };
    ws.onclose = function (ev) {
      st.ws = null;
      if (ev.code === 1008) {               /* bad or expired token: log in again */
        sessionStorage.removeItem("omniq-desk:token");
        $("desk").hidden = true;
        $("login").hidden = false;
        $("login-err").textContent = ev.reason === "token expired" ? "Your login expired"
          : ev.reason === "logged out" ? "You were logged out (a logout or a new password)"
          : "Please log in";
        return;
      }
      $("conn").textContent = "reconnecting…";
      setTimeout(connect, Math.min(10000, 500 * Math.pow(2, st.retry++)));
    };
  }

  function onMessage(m) {
    var cb;
    if (m.type === "welcome" || m.type === "inbox") {
      if (m.type === "welcome") {
        st.retry = 0;
        $("login").hidden = true;
        $("desk").hidden = false;
        $("conn").textContent = "connected";
      }
      st.agent = m.agent;
      $("me").textContent = (m.name || m.agent) + " (" + m.agent + ")";
      $("presence").value = m.presence === "available" || m.presence === "away" ? m.presence : "offline";
      $("load").textContent = m.state || "";
      var was = st.sel && find(st.sel);
      st.inbox = m.inbox || [];
      renderInbox();
      var now = st.sel && find(st.sel);
      if (st.sel && !now) select(null);
      else if (st.sel) {
        renderSelected();
        if (m.resync) select(st.sel);   /* messages of it may have been lost: read it again */
        else if (was && was.state !== now.state) loadCustomer(st.sel);   /* its history line changed */
      }
      return;
    }
    if (m.type === "typing") {
      if (m.sid === st.sel) {
        clearTimeout(st.typingTimer);
        $("typing").textContent = "The customer is typing…";
        st.typingTimer = setTimeout(function () { $("typing").textContent = ""; }, 4000);
      }
      return;
    }
    if (m.type === "message") {
      if (m.sid === st.sel && m.dir === "in") $("typing").textContent = "";
      var tx = st.transcripts[m.sid];
      if (tx && !tx.some(function (e) { return e.id === m.id; })) {
        tx.push({ id: m.id, dir: m.dir, from: m.from, text: m.text });
        if (m.sid === st.sel) renderTranscript();
      }
      return;
    }
    if (m.type === "ok" || m.type === "error") {
      if (m.type === "error") $("act-err").textContent = m.message;
      cb = m.rid && st.waiting[m.rid];
      delete st.waiting[m.rid];
      if (cb) cb(m);
    }
  }

  function find(sid) {
    for (var i = 0; i < st.inbox.length; i++) if (st.inbox[i].sid === sid) return st.inbox[i];
    return null;
  }

  /* ---- inbox ---- */
  function renderInbox() {
    var ol = $("inbox");
    ol.textContent = "";
    $("empty").hidden = st.inbox.length > 0;
    st.inbox.forEach(function (s) {
      var li = el("li", s.state + (s.sid === st.sel ? " sel" : ""));
      li.dataset.sid = s.sid;
      li.appendChild(el("span", "ch " + s.channel, CH[s.channel] || s.channel));
      li.appendChild(document.createTextNode(" " + (s.customer_name || s.identity) + " "));
      li.appendChild(el("div", "st", s.state === "offered" ? "incoming offer" :
        s.channel === "phone" && s.state === "active" ? "in call" : s.state));
      var w = el("div", "wait");
      w.dataset.since = s.state === "active" ? s.updated : s.created;
      li.appendChild(w);
      li.addEventListener("click", function () { select(s.sid); });
      ol.appendChild(li);
    });
    tick();
  }
  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll("#inbox .wait"), function (w) {
      w.textContent = (w.parentNode.classList.contains("active") ? "talking " : "waiting ") + ago(+w.dataset.since);
    });
  }
  setInterval(tick, 1000);

  /* ---- the selected session ---- */
  function select(sid) {
    st.sel = sid;
    $("act-err").textContent = "";
    renderInbox();
    renderSelected();
    if (!sid) return;
    send({ type: "transcript", sid: sid }, function (m) {
      if (m.type !== "ok") return;
      st.transcripts[sid] = m.transcript;
      if (st.sel === sid) renderTranscript();
    });
    loadCustomer(sid);
  }
  function loadCustomer(sid) {
    send({ type: "customer", sid: sid }, function (m) { if (m.type === "ok" && st.sel === sid) renderCustomer(m); });
  }
  function renderSelected() {
    var s = st.sel ? find(st.sel) : null;
    $("conv-title").textContent = s ? (CH[s.channel] || s.channel) + " · " + (s.customer_name || s.identity) +
      " · session " + s.sid : "No session selected";
    $("offer").hidden = !s || s.state !== "offered";
    if (s && s.state === "offered") $("offer-text").textContent = "Offer: " + (CH[s.channel] || s.channel) +
      " from " + (s.customer_name || s.identity) + (s.queue ? " (queue " + s.queue + ")" : "");
    var text = s && s.state === "active" && s.channel !== "phone";
    $("reply").hidden = !text;
    $("actions").hidden = !s || (s.state !== "active" && s.state !== "wrapup");
    if (!s) { $("transcript").textContent = ""; $("profile").textContent = ""; $("history").textContent = ""; }
  }
  function renderTranscript() {
    var ol = $("transcript");
    ol.textContent = "";
    (st.transcripts[st.sel] || []).forEach(function (e) { ol.appendChild(el("li", e.dir, e.text)); });
    ol.scrollTop = ol.scrollHeight;
  }
  function renderCustomer(m) {
    var dl = $("profile"), c = m.customer || {};
    dl.textContent = "";
    [["Name", c.name], ["Tier", c.tier], ["Language", c.language], ["Region", c.region],
     ["Identities", (c.identities || "").split(",").join(", ")], ["Last agent", c.last_agent],
     ["Last CSAT", c.last_csat]].forEach(function (p) {
      if (!p[1]) return;
      dl.appendChild(el("dt", "", p[0]));
      dl.appendChild(el("dd", "", p[1]));
    });
    var ol = $("history");
    ol.textContent = "";
    (m.history || []).forEach(function (h) {
      ol.appendChild(el("li", "", new Date(+h.created).toLocaleDateString() + " · " + (CH[h.channel] || h.channel) +
        " · " + h.state + (h.disposition ? " (" + h.disposition + ")" : "") + (h.agent ? " · " + h.agent : "") +
        (h.csat ? " · CSAT " + h.csat : "")));
    });
  }

  /* ---- actions ---- */
  $("presence").addEventListener("change", function (ev) { send({ type: "state", state: ev.target.value }); });
  $("accept").addEventListener("click", function () { send({ type: "accept", sid: st.sel }); });
  $("decline").addEventListener("click", function () { send({ type: "decline", sid: st.sel }); });
  $("reply").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var t = $("reply-text").value.trim();
    if (!t) return;
    send({ type: "reply", sid: st.sel, text: t }, function (m) { if (m.type === "ok") $("reply-text").value = ""; });
  });
  /* tell the customer the agent is writing: at most every 3 s */
  $("reply-text").addEventListener("input", function () {
    if (!st.sel || Date.now() - (st.typingSent || 0) < 3000) return;
    st.typingSent = Date.now();
    send({ type: "typing", sid: st.sel });
  });
  $("reply-text").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("reply").requestSubmit(); }
  });
  $("disposition").addEventListener("change", function (ev) { $("follow-date").hidden = ev.target.value !== "follow_up"; });
  $("close").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var msg = { type: "close", sid: st.sel, disposition: $("disposition").value };
    if (msg.disposition === "follow_up") {
      if (!$("follow-date").value) { $("act-err").textContent = "Choose the follow-up date"; return; }
      msg.follow_up = $("follow-date").value;
    }
    send(msg);
  });
  $("transfer").addEventListener("submit", function (ev) {
    ev.preventDefault();
    send({ type: "transfer", sid: st.sel, to: $("transfer-kind").value, target: $("transfer-target").value.trim() },
      function (m) { if (m.type === "ok") $("transfer-target").value = ""; });
  });

  if (st.token) connect();
})();
