/*
 * omniq agent desk: plain JS, no dependencies. Logs in with POST /api/v1/desk/login, then
 * keeps one WebSocket to /ws/agent (protocol "omniq-agent", see docs/agent.md). The server
 * sends the whole inbox after every change, so this page only renders what it is told; it
 * reconnects with the same token after a network loss. The token is kept in localStorage,
 * so a second tab works without a new login (a logout ends every tab's, on the server);
 * the open conversation is kept per tab and restored after a reload. window.omniqDesk
 * exposes the state; desk-alerts.js and desk-queue.js hook into it (st.hooks).
 */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var wsUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/agent";
  var CH = { phone: "☎ phone", web: "web", wechat: "WeChat", sms: "SMS", email: "email", app: "app" };
  /* what an agent reads for each state (never the raw names) */
  var STATE = { offered: "incoming offer", active: "active", wrapup: "wrap-up", queued: "waiting" };
  var TOKEN = "omniq-desk:token", SEL = "omniq-desk:sel";
  var st = { token: localStorage.getItem(TOKEN), agent: "", inbox: [], sel: sessionStorage.getItem(SEL),
             ws: null, rid: 0, waiting: {}, background: {}, transcripts: {}, customers: {}, unread: {}, retry: 0, hooks: [],
             supervisor: false, name: "" };
  window.omniqDesk = st;
  function hook(name, arg) {
    st.hooks.forEach(function (h) { if (h[name]) h[name](arg); });
  }

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
  /* background: a refresh the agent did not ask for (the queue view, the figures): its
   * answer neither clears nor replaces what the agent's own last action was told */
  function send(msg, done, background) {
    if (!st.ws || st.ws.readyState !== 1) {
      if (!background) $("act-err").textContent = "Not connected to the server: wait for it to reconnect";
      return;
    }
    msg.rid = String(++st.rid);
    if (done) st.waiting[msg.rid] = done;
    if (background) st.background[msg.rid] = true;
    st.ws.send(JSON.stringify(msg));
  }
  st.send = send;
  st.el = el;
  st.ago = ago;
  st.CH = CH;
  st.select = function (sid) { select(sid); };
  st.who = who;
  st.find = find;

  /* Who the customer is, as the agent reads it: the profile's name (set by the company:
   * verified), else the name the visitor typed (marked: not verified), else a short label
   * for an anonymous web visitor, else the identity. */
  function who(s) {
    if (s.customer_name) return s.customer_name;
    if (s.claimed_name) return s.claimed_name + " (not verified)";
    var m = /^web:([0-9a-f]{6})/.exec(s.identity || "");
    return m ? "Visitor " + m[1] : s.identity;
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
        localStorage.setItem(TOKEN, st.token);
        hook("login");
        connect();
      })
      .catch(function () { $("login-err").textContent = "Server unreachable"; });
  });
  /* offline, then the logout: it ends every token of this agent (other tabs and devices
     too); the server closes this socket with "logged out" */
  $("logout").addEventListener("click", function () {
    send({ type: "state", state: "offline" }, function () {
      send({ type: "logout" }, function () {
        localStorage.removeItem(TOKEN);
        sessionStorage.removeItem(SEL);
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
        if (localStorage.getItem(TOKEN) === st.token) localStorage.removeItem(TOKEN);
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
      st.name = m.name || m.agent;
      st.supervisor = !!m.supervisor;
      $("me").textContent = (m.name || m.agent) + " (" + m.agent + ")" + (m.supervisor ? " · supervisor" : "");
      $("presence").value = m.presence === "available" || m.presence === "away" ? m.presence : "offline";
      $("load").textContent = m.state || "";
      var was = st.sel && find(st.sel);
      st.inbox = m.inbox || [];
      renderInbox();
      var now = st.sel && find(st.sel);
      if (st.sel && !now) select(null);
      else if (st.sel) {
        renderSelected();
        /* messages of it may have been lost, or the page was reloaded: read it again */
        if (m.resync || !st.transcripts[st.sel]) select(st.sel);
        else if (was && was.state !== now.state) loadCustomer(st.sel);   /* its history line changed */
      }
      hook("inbox", m);
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
      if (m.dir === "in" && (m.sid !== st.sel || document.hidden)) {
        st.unread[m.sid] = (st.unread[m.sid] || 0) + 1;
        renderInbox();
      }
      hook("message", m);
      return;
    }
    if (m.type === "alert") {
      /* a service level is slipping on a session this agent answers for (desk-alerts.js) */
      hook("alert", m);
      return;
    }
    if (m.type === "followup") {
      /* one of its follow-ups was scheduled, opened or ended (desk-followups.js) */
      hook("followup", m);
      return;
    }
    if (m.type === "delivery") {
      /* one of the replies sent through its channel's provider moved on (or failed) */
      (st.transcripts[m.sid] || []).forEach(function (e) {
        if (e.id === m.id) { e.delivery = m.state; e.reason = m.reason; }
      });
      if (m.sid === st.sel) renderTranscript();
      hook("delivery", m);
      return;
    }
    if (m.type === "ok" || m.type === "error") {
      /* an error stays until the agent's next thing that works */
      if (!st.background[m.rid]) $("act-err").textContent = m.type === "error" ? say(m) : "";
      delete st.background[m.rid];
      cb = m.rid && st.waiting[m.rid];
      delete st.waiting[m.rid];
      if (cb) cb(m);
    }
  }

  /* the server's error in words an agent reads */
  function say(m) {
    switch (m.code) {
      case "no_capacity":
        if (/outbound queue/.test(m.message))
          return "Not sent: " + m.message.replace(/^.*?: /, "") +
            " (its provider has been unreachable for long: tell your administrator)";
        return "Not possible now: " + m.message.replace(/^.*?: /, "") +
          " (the agent must be Available with room for it)";
      case "wrong_state": return "That session has moved on (" + m.message.replace(/^.*?: /, "") + ")";
      case "not_found": return "No such session, agent or queue";
      case "wrong_agent": return "Not allowed: " + m.message.replace(/^.*?: /, "");
      case "unavailable": return "The server cannot reach its database right now: try again in a moment";
      case "rate_limited": return "Too many actions at once: wait a second";
      default: return m.message || "Something went wrong";
    }
  }
  st.say = say;

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
      li.appendChild(document.createTextNode(" " + who(s) + " "));
      if (st.unread[s.sid] && s.state !== "offered") li.appendChild(el("span", "unread", String(st.unread[s.sid])));
      li.appendChild(el("div", "st", s.channel === "phone" && s.state === "active" ? "in call" :
        STATE[s.state] || s.state));
      var w = el("div", "wait");
      w.dataset.since = s.state === "active" ? s.updated : s.created;
      if (s.state === "offered") w.dataset.until = s.offer_exp;
      li.appendChild(w);
      li.addEventListener("click", function () { select(s.sid); });
      ol.appendChild(li);
    });
    tick();
  }
  /* the waits, and the time left to answer an offer before it goes to someone else */
  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll("#inbox .wait"), function (w) {
      w.textContent = w.dataset.until ? "answer within " + left(w.dataset.until) :
        (w.parentNode.classList.contains("active") ? "talking " : "waiting ") + ago(+w.dataset.since);
    });
    var s = st.sel && find(st.sel), o = $("offer-left");
    if (s && s.state === "offered" && s.offer_exp) {
      o.textContent = "Answer within " + left(s.offer_exp) + ", or it goes to a colleague";
      o.className = "muted" + (+s.offer_exp - Date.now() < 10000 ? " soon" : "");
    }
  }
  function left(until) {
    return Math.max(0, Math.ceil((+until - Date.now()) / 1000)) + " s";
  }
  setInterval(tick, 1000);

  /* ---- the selected session ---- */
  function select(sid) {
    st.sel = sid;
    if (sid) { sessionStorage.setItem(SEL, sid); delete st.unread[sid]; } else sessionStorage.removeItem(SEL);
    $("act-err").textContent = "";
    hook("select", sid);
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
    send({ type: "customer", sid: sid }, function (m) {
      if (m.type !== "ok") return;
      st.customers[sid] = m.customer || {};
      if (st.sel === sid) { renderCustomer(m); renderTranscript(); }
    });
  }
  function renderSelected() {
    var s = st.sel ? find(st.sel) : null;
    $("conv-title").textContent = s ? (CH[s.channel] || s.channel) + " · " + who(s) +
      " · session " + s.sid + waited(s) + (s.callback_to ? " · call back " + s.callback_to : "") :
      "No session selected";
    $("offer").hidden = !s || s.state !== "offered";
    if (s && s.state === "offered") $("offer-text").textContent = "Offer: " + (CH[s.channel] || s.channel) +
      " from " + who(s) + (s.queue ? " (queue " + s.queue + ")" : "");
    var text = s && s.state === "active" && s.channel !== "phone";
    /* a channel module may add to the reply box: omniq_sms its part counter, loaded the
     * first time an SMS conversation is open (without omniq_sms there is none to load) */
    if (s && s.channel === "sms" && !st.smsCounter) {
      st.smsCounter = document.createElement("script");
      st.smsCounter.src = "/hooks/sms/desk.js";
      document.body.appendChild(st.smsCounter);
    }
    $("reply").hidden = !text;
    $("actions").hidden = !s || (s.state !== "active" && s.state !== "wrapup");
    /* in wrap-up the conversation is over: it can only be finished, not handed on */
    $("transfer").hidden = !s || s.state !== "active";
    $("close-btn").textContent = s && s.state === "wrapup" ? "End wrap-up" : "Close";
    if (!s) { $("transcript").textContent = ""; $("profile").textContent = ""; $("history").textContent = ""; }
  }
  /* the wait the customer had, beside the one they were told when they joined */
  function span(ms) {
    var s = Math.round(ms / 1000);
    return s < 60 ? s + " s" : Math.floor(s / 60) + " min " + s % 60 + " s";
  }
  function waited(s) {
    if (!s.waited_ms) return "";
    return " · waited " + span(+s.waited_ms) + (+s.promised_ms ? " (told " + span(+s.promised_ms) + ")" : "");
  }
  function hhmm(t) {
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return p(t.getHours()) + ":" + p(t.getMinutes());
  }
  /* where a reply sent through the channel's provider (SMS, WeChat, email) is */
  function delivered(e) {
    switch (e.delivery) {
      case "queued": return e.reason ? "Not sent yet, trying again: " + e.reason : "Waiting to be sent";
      case "sending": return "Sending…";
      case "sent": return "Sent";
      case "delivered": return "Delivered";
      case "failed": return "Not sent: " + (e.reason || "the provider refused it");
      default: return e.delivery;
    }
  }
  /* text with its web links clickable (a WeChat image's address, a link a customer sent),
   * and a file the channel's provider keeps (/media/<tenant>/<key>: a photo, a voice
   * message) as "open the file": text nodes and <a> elements only, never markup from the
   * text; http(s) and our own /media/ only */
  function linked(parent, text) {
    var re = /https?:\/\/[^\s<>"']+|\/media\/[A-Za-z0-9_.@+-]{1,64}\/[0-9a-f]{32}(?![0-9a-f])/g, at = 0, m;
    while ((m = re.exec(text))) {
      parent.appendChild(document.createTextNode(text.slice(at, m.index)));
      var a = el("a", m[0][0] === "/" ? "media" : "", m[0][0] === "/" ? "open the file" : m[0]);
      a.href = m[0];
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      parent.appendChild(a);
      at = m.index + m[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(at)));
  }
  /* each line with its time (a stream id begins with its milliseconds) and who wrote it */
  function renderTranscript() {
    var ol = $("transcript"), s = find(st.sel);
    ol.textContent = "";
    (st.transcripts[st.sel] || []).forEach(function (e) {
      var li = el("li", e.dir), t = new Date(parseInt(e.id, 10));
      var by = e.dir === "in" ? (s ? who(s) : "Customer") :
        e.dir === "out" ? (e.from === st.agent ? "You" : e.from) :
        e.dir === "note" ? "Note by " + (e.from === st.agent ? "you" : e.from || "omniq") +
          " (the customer does not see it)" : "";
      li.appendChild(el("span", "meta", (isNaN(t) ? "" : hhmm(t)) + (by ? " · " + by : "")));
      linked(li, e.text);
      if (e.dir === "out" && e.delivery) li.appendChild(el("span", "delivery " + e.delivery, delivered(e)));
      if (e.dir === "out" && e.delivery === "failed" && s) {
        var other = otherWays(s, st.customers[st.sel]);
        if (other) li.appendChild(el("span", "reach", "Other ways to reach them: " + other));
      }
      ol.appendChild(li);
    });
    ol.scrollTop = ol.scrollHeight;
  }
  /* A reply this channel could not deliver (WeChat's 48 hours gone by, a number that no
   * longer exists): the customer's identities on other channels, each a way to go on. An
   * anonymous web visitor is no way to reach anyone. */
  var SCHEME = { phone: "tel", sms: "tel", wechat: "wechat", email: "email", app: "app", web: "web" };
  function otherWays(s, c) {
    var mine = [s.channel, SCHEME[s.channel]];
    return ((c && c.identities) || "").split(",").filter(function (id) {
      var k = id.split(":")[0];
      return id && mine.indexOf(k) < 0 && k !== "web";
    }).map(function (id) {
      var k = id.split(":")[0];
      return (KNOWN[k] || k).replace(/ \(.*/, "") + " " + id.slice(k.length + 1);
    }).join("; ");
  }
  /* How each identity is known: every one here came from its channel (a caller's number
   * from the network, a user signed by the company's site or app, a WeChat openid...); only
   * a web visitor without a signed identity is anonymous. What a visitor typed about
   * themselves is shown apart, as claimed: it is never an identity and opens no history. */
  var KNOWN = { tel: "phone or SMS (from the network)", phone: "phone (from the network)", sms: "SMS (from the network)", web: "web visitor (this browser only)",
                email: "email (as sent)", wechat: "WeChat (from WeChat)", app: "app user (signed by the app)" };
  function identities(list) {
    return list.filter(Boolean).map(function (id) {
      var k = id.split(":")[0];
      return (KNOWN[k] || k) + ": " + id.slice(k.length + 1);
    }).join("\n");
  }
  function renderCustomer(m) {
    var dl = $("profile"), c = m.customer || {}, cl = m.claimed || {};
    dl.textContent = "";
    [["Name", c.name], ["Tier", c.tier], ["Language", c.language], ["Region", c.region],
     ["Identities (verified)", identities((c.identities || "").split(","))], ["Last agent", c.last_agent],
     ["Last CSAT", c.last_csat],
     ["Says they are (not verified)", [cl.name, cl.contact].filter(Boolean).join("\n")]].forEach(function (p) {
      if (!p[1]) return;
      dl.appendChild(el("dt", "", p[0]));
      dl.appendChild(el("dd", p[0].indexOf("not verified") >= 0 ? "claimed" : "", p[1]));
    });
    var ol = $("history");
    ol.textContent = "";
    (m.history || []).forEach(function (h) {
      ol.appendChild(el("li", "", new Date(+h.created).toLocaleDateString() + " · " + (CH[h.channel] || h.channel) +
        " · " + (STATE[h.state] || h.state) + (h.disposition ? " (" + h.disposition + ")" : "") + (h.agent ? " · " + h.agent : "") +
        (h.csat ? " · CSAT " + h.csat : "") + (h.nps ? " · NPS " + h.nps : "") +
        (h.survey === "asked" ? " · survey sent, no answer yet" : "") +
        (h.survey_comment && h.survey !== "unsent" ? " · \u201c" + h.survey_comment + "\u201d" : "")));
    });
  }

  /* ---- actions ---- */
  $("presence").addEventListener("change", function (ev) { send({ type: "state", state: ev.target.value }); });
  $("accept").addEventListener("click", function () { send({ type: "accept", sid: st.sel }); });
  $("decline").addEventListener("click", function () { send({ type: "decline", sid: st.sel }); });
  /* a reply goes to the customer; an internal note only to agents (never the customer) */
  $("reply").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var t = $("reply-text").value.trim();
    if (!t) return;
    send({ type: $("as-note").checked ? "note" : "reply", sid: st.sel, text: t },
      function (m) {
        if (m.type !== "ok") return;
        $("reply-text").value = "";
        /* "change", not "input": whoever counts the box (the SMS counter) sees it emptied,
         * and the customer is not told the agent types */
        $("reply-text").dispatchEvent(new Event("change"));
      });
  });
  $("as-note").addEventListener("change", function (ev) {
    $("reply").classList.toggle("noting", ev.target.checked);
    $("send").textContent = ev.target.checked ? "Add note" : "Send";
  });
  /* tell the customer the agent is writing: at most every 3 s */
  $("reply-text").addEventListener("input", function () {
    if (!st.sel || $("as-note").checked || Date.now() - (st.typingSent || 0) < 3000) return;
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
    var msgTarget = $("transfer-target").value.trim();
    send({ type: "transfer", sid: st.sel, to: $("transfer-kind").value, target: msgTarget },
      function (m) {
        if (m.type !== "ok") return;
        $("transfer-target").value = "";
        // a call: the caller's phone is asked to call the target; the call stays here until then
        if (m.state === "referring") $("act-err").textContent = "Transferring the call: the caller's phone is asked to call " + msgTarget + ".";
      });
  });

  if (st.token) connect();
})();
