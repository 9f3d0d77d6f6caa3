/*
 * omniq web chat widget: one <script> tag, no dependencies.
 *
 *   <script src="https://omniq.example.com/static/omniq-chat.js" data-tenant="acme"
 *           data-title="Talk to us" data-user="<signed identity token, optional>"
 *           data-ask-name="1"></script>
 *
 * data-tenant names the company whose site it is (omitted: the server's default tenant).
 * data-ask-name shows "Your name" and "Phone or email" fields before the first message; what
 * the visitor types there reaches the agent marked as not verified, never as an identity
 * (data-name sets the name without asking). A name the company knows for sure goes in the
 * customer's profile, set by its backend (REST), as the signed user token does for identity.
 *
 * Talks to /ws/chat on the host it was loaded from (see docs/admin-ws.md). Keeps the visitor
 * token, the session and its resume token in localStorage, so a reload continues the same
 * conversation with its transcript. A message is kept until the server acknowledges it, and
 * sent again (same cid: the server appends it once) after "unavailable" and after a
 * reconnect. When the conversation ends and its queue has a survey, the widget asks it (CSAT
 * 1-5, NPS 0-10 and a comment, as the queue's survey says) and sends the answer once.
 * window.omniqChat exposes the state for integrators.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  var origin = new URL(me.src, location.href);
  var wsUrl = (origin.protocol === "https:" ? "wss://" : "ws://") + origin.host + "/ws/chat";
  var title = me.getAttribute("data-title") || "Chat with us";
  var userToken = me.getAttribute("data-user") || null;
  var tenant = me.getAttribute("data-tenant") || null;
  var askName = me.getAttribute("data-ask-name") === "1";
  var store = window.localStorage;
  var K = "omniq-chat:" + origin.host + ":" + (tenant ? tenant + ":" : "");

  var state = { session: store.getItem(K + "session"), resume: store.getItem(K + "resume"),
                callback: store.getItem(K + "callback"),
                visitor: store.getItem(K + "visitor"), status: "connecting", agent: "",
                name: me.getAttribute("data-name") || store.getItem(K + "name") || "",
                contact: store.getItem(K + "contact") || "",
                ws: null, pending: {}, seq: 0 };
  window.omniqChat = state;

  var css = "#omniq-chat{position:fixed;right:16px;bottom:16px;width:320px;font:14px sans-serif;" +
    "box-shadow:0 2px 12px rgba(0,0,0,.25);border-radius:8px;background:#fff;z-index:99999}" +
    "#omniq-chat header{background:#1565c0;color:#fff;padding:8px 12px;border-radius:8px 8px 0 0}" +
    "#omniq-chat .st{font-size:12px;opacity:.85}" +
    "#omniq-chat ol{list-style:none;margin:0;padding:8px;height:260px;overflow-y:auto}" +
    "#omniq-chat li{margin:4px 0;padding:6px 8px;border-radius:6px;max-width:85%;white-space:pre-wrap}" +
    "#omniq-chat li.in{background:#e3f2fd;margin-left:auto}" +
    "#omniq-chat li.out{background:#f1f1f1}#omniq-chat li.sys{color:#777;font-style:italic}" +
    "#omniq-chat li.sending{opacity:.6}#omniq-chat li.failed{outline:1px solid #c62828}" +
    "#omniq-chat .ty{font-size:12px;color:#777;padding:0 10px;min-height:16px}" +
    "#omniq-chat form{display:flex;border-top:1px solid #ddd}" +
    "#omniq-chat input{flex:1;border:0;padding:10px;font:inherit}" +
    "#omniq-chat button{border:0;background:#1565c0;color:#fff;padding:0 14px}" +
    "#omniq-chat .who{display:flex;gap:4px;padding:6px 8px;border-top:1px solid #eee}" +
    "#omniq-chat .who input{flex:1;min-width:0;border:1px solid #ddd;border-radius:4px;padding:4px 6px;font:inherit}" +
    "#omniq-chat .cb{padding:4px 8px;font-size:13px;border-top:1px solid #eee}" +
    "#omniq-chat .cb a{color:#1565c0;cursor:pointer}" +
    "#omniq-chat .cb input{width:60%;border:1px solid #ddd;border-radius:4px;padding:4px 6px;font:inherit}" +
    "#omniq-chat .cb button{padding:4px 10px;border-radius:4px;margin-left:4px}" +
    "#omniq-chat .sv{padding:6px 8px;border-top:1px solid #eee;font-size:13px}" +
    "#omniq-chat .sv .q{margin:4px 0 2px}" +
    "#omniq-chat .sv .sc{display:flex;gap:2px;flex-wrap:wrap}" +
    "#omniq-chat .sv .sc button{flex:1;min-width:22px;padding:4px 0;background:#e3f2fd;color:#1565c0;border-radius:4px}" +
    "#omniq-chat .sv .sc button[aria-pressed=true]{background:#1565c0;color:#fff}" +
    "#omniq-chat .sv input{width:100%;box-sizing:border-box;margin:4px 0;border:1px solid #ddd;border-radius:4px;padding:4px 6px;font:inherit}" +
    "#omniq-chat .sv .go{padding:4px 12px;border-radius:4px}" +
    "#omniq-chat [hidden]{display:none!important}";
  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);

  var box = document.createElement("div");
  box.id = "omniq-chat";
  box.innerHTML = '<header><div class="t"></div><div class="st"></div></header>' +
    '<ol aria-live="polite"></ol><div class="ty"></div>' +
    '<div class="cb" hidden><a class="cba" role="button" tabindex="0">Call me back instead of waiting</a>' +
    '<span class="cbf" hidden><input class="cbp" type="tel" maxlength="24" placeholder="+86 139 0000 0000" ' +
    'aria-label="Your phone number"><button type="button" class="cbs">Call me</button></span></div>' +
    '<div class="sv" hidden><div class="q csq">How was this conversation? (1 = poor, 5 = excellent)</div>' +
    '<div class="sc cs"></div><div class="q npq">How likely are you to recommend us to a friend? (0–10)</div>' +
    '<div class="sc np"></div><input class="svc" maxlength="500" placeholder="Anything to add? (optional)" ' +
    'aria-label="Your comment"><button type="button" class="go" disabled>Send</button></div>' +
    '<div class="who" hidden><input class="nm" maxlength="100" placeholder="Your name" aria-label="Your name">' +
    '<input class="ct" maxlength="100" placeholder="Phone or email (optional)" aria-label="Phone or email"></div>' +
    '<form><input class="msg" maxlength="4000" placeholder="Type a message…" ' +
    'aria-label="Message"><button type="submit">Send</button></form>';
  document.body.appendChild(box);
  box.querySelector(".t").textContent = title;
  var list = box.querySelector("ol"), input = box.querySelector("input.msg"),
      whoEl = box.querySelector(".who"), nameEl = box.querySelector(".nm"), contactEl = box.querySelector(".ct"),
      statusEl = box.querySelector(".st"), typingEl = box.querySelector(".ty"), typingTimer = 0,
      typingSent = 0, cbEl = box.querySelector(".cb"), cbForm = box.querySelector(".cbf"),
      cbPhone = box.querySelector(".cbp"), svEl = box.querySelector(".sv"),
      svGo = box.querySelector(".sv .go"), svComment = box.querySelector(".svc"), survey = null;

  function typing(who) {
    clearTimeout(typingTimer);
    typingEl.textContent = who ? who + " is typing…" : "";
    if (who) typingTimer = setTimeout(function () { typingEl.textContent = ""; }, 4000);
  }

  function show(dir, who, text) {
    var li = document.createElement("li");
    li.className = dir;
    li.textContent = text;
    if (who && dir === "out") li.title = who;
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
    return li;
  }

  /* a wait as a person says it: minutes, then hours and minutes (a wait that counts the
     hours the team is closed may be long), then days */
  function waitText(sec) {
    var min = Math.max(1, Math.round(sec / 60)), h, d;
    if (min < 90) return min + " min";
    h = Math.round(min / 60);
    if (h < 36) return (min % 60 >= 15 && h < 6) ? Math.floor(min / 60) + " h " + (min % 60) + " min" : h + " h";
    d = Math.round(h / 24);
    return d + (d === 1 ? " day" : " days");
  }
  window.omniqChat.waitText = waitText;

  function status(s) {
    var t;
    if (s.position != null) state.position = s.position;
    if (s.state === "queued") {
      /* a state event (back in the queue after a transfer) carries no position */
      t = state.position ? "You are number " + state.position + " in the queue" : "Waiting for an agent";
      if (s.est_wait_s > 0) t += ", about " + waitText(s.est_wait_s);
    } else if (s.state === "offered") {
      t = "Connecting you to an agent…";
    } else if (s.state === "active") {
      t = (s.agent_name || state.agentName || s.agent || state.agent || "An agent") + " is here";
    } else if (s.state === "wrapup" || s.state === "closed" || s.state === "abandoned") {
      t = "The conversation has ended";
    } else if (s.state === "expired") {
      /* waited longer than the queue's max_wait: told, never left waiting for nobody */
      t = "Sorry, no agent was free in time. Please write again later.";
    } else {
      t = "";    /* never a raw state word */
    }
    if (s.agent) state.agent = s.agent;
    if (s.agent_name) state.agentName = s.agent_name;
    state.status = s.state;
    statusEl.textContent = t;
    /* while waiting, the visitor may ask to be called back instead (once) */
    cbEl.hidden = !(s.state === "queued" && !state.callback);
  }

  function callbackAsk() {
    if (!state.ws || state.ws.readyState !== 1) return;
    state.ws.send(JSON.stringify({ type: "callback", phone: cbPhone.value.trim() }));
  }
  box.querySelector(".cba").addEventListener("click", function () {
    cbForm.hidden = false;
    cbPhone.focus();
  });
  box.querySelector(".cbs").addEventListener("click", callbackAsk);
  cbPhone.addEventListener("keydown", function (e) { if (e.key === "Enter") callbackAsk(); });

  /* The survey at the end (the queue's, when it has one): the scores it asks as buttons, a
     comment, once. state.survey: what is picked. */
  function scoreButtons(row, lo, hi, key) {
    row.textContent = "";
    for (var i = lo; i <= hi; i++) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = String(i);
      b.setAttribute("aria-pressed", "false");
      b.setAttribute("aria-label", key.toUpperCase() + " " + i);
      b.addEventListener("click", (function (n, btn) {
        return function () {
          survey[key] = n;
          Array.prototype.forEach.call(row.children, function (x) { x.setAttribute("aria-pressed", String(x === btn)); });
          svGo.disabled = !((!survey.askCsat || survey.csat != null) && (!survey.askNps || survey.nps != null));
        };
      })(i, b));
      row.appendChild(b);
    }
  }
  function surveyAsk(ask) {
    survey = { askCsat: ask === "csat" || ask === "both", askNps: ask === "nps" || ask === "both",
               csat: null, nps: null };
    box.querySelector(".csq").hidden = box.querySelector(".cs").hidden = !survey.askCsat;
    box.querySelector(".npq").hidden = box.querySelector(".np").hidden = !survey.askNps;
    scoreButtons(box.querySelector(".cs"), 1, 5, "csat");
    scoreButtons(box.querySelector(".np"), 0, 10, "nps");
    svComment.value = "";
    svGo.disabled = true;
    svEl.hidden = false;
  }
  function surveyDone() { survey = null; svEl.hidden = true; }
  svGo.addEventListener("click", function () {
    var m = { type: "survey" };
    if (!survey || !state.ws || state.ws.readyState !== 1) return;
    if (survey.csat != null) m.csat = survey.csat;
    if (survey.nps != null) m.nps = survey.nps;
    if (svComment.value.trim()) m.comment = svComment.value.trim();
    svGo.disabled = true;
    state.ws.send(JSON.stringify(m));
  });

  /* Send a message kept in state.pending (again); while disconnected, the next welcome does. */
  function send(cid) {
    var p = state.pending[cid], m;
    if (!p || !state.ws || state.ws.readyState !== 1) return;
    p.tries++;
    m = { type: "message", text: p.text, cid: cid };
    /* what the visitor typed about themselves goes with a message that opens a session */
    if (!state.session && state.name) m.name = state.name;
    if (!state.session && state.contact) m.contact = state.contact;
    state.ws.send(JSON.stringify(m));
  }

  function remember(k, v) {
    state[k] = v;
    if (v) store.setItem(K + k, v); else store.removeItem(K + k);
  }

  function connect() {
    var ws = new WebSocket(wsUrl, "omniq-chat");
    state.ws = ws;
    ws.onopen = function () {
      var hello = { type: "hello" };
      if (tenant) hello.tenant = tenant;
      if (userToken) hello.user = userToken;
      else if (state.visitor) hello.visitor = state.visitor;
      if (state.session && state.resume) { hello.session = state.session; hello.resume = state.resume; }
      if (state.name) hello.name = state.name;
      if (state.contact) hello.contact = state.contact;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = function (ev) {
      var m = JSON.parse(ev.data);
      if (m.type === "welcome") {
        if (m.visitor) remember("visitor", m.visitor);
        list.innerHTML = "";
        if (m.session) {
          (m.transcript || []).forEach(function (e) { show(e.dir, e.from, e.text); });
          status(m);
        } else {
          remember("session", null); remember("resume", null); remember("callback", null);
          cbEl.hidden = true;
          statusEl.textContent = "Ask us anything";
          if (m.ended) {
            /* reloaded after the end: what was said, and that a message starts anew */
            (m.ended.transcript || []).forEach(function (e) { show(e.dir, e.from, e.text); });
            show("sys", "", m.ended.state === "expired" ? "No agent was free in time. Write again to start a new conversation."
              : "This conversation has ended. Write to start a new one.");
          }
        }
        /* what was not acknowledged before the connection dropped (or typed since) */
        Object.keys(state.pending).forEach(function (cid) {
          list.appendChild(state.pending[cid].li);
          state.pending[cid].tries = 0;
          send(cid);
        });
      } else if (m.type === "session") {
        if (m.session !== state.session) { remember("callback", null); surveyDone(); }
        remember("session", m.session); remember("resume", m.resume);
        if (m.transcript) {
          /* another tab of this visitor had opened it: what was said there, then ours */
          list.innerHTML = "";
          m.transcript.forEach(function (e) { show(e.dir, e.from, e.text); });
          Object.keys(state.pending).forEach(function (cid) { list.appendChild(state.pending[cid].li); });
        }
        status(m);
      } else if (m.type === "ack") {
        var acked = state.pending[m.cid];
        if (acked) { acked.li.classList.remove("sending"); delete state.pending[m.cid]; }
      } else if (m.type === "state") {
        status(m);
      } else if (m.type === "message") {
        typing(null);
        show(m.dir, m.from, m.text);
      } else if (m.type === "typing") {
        typing(state.agentName || m.from);
      } else if (m.type === "survey") {
        if (m.state === "asked") {
          surveyAsk(m.ask);
        } else if (m.state === "answered") {
          if (survey) show("sys", "", m.thanks || "Thank you for your feedback.");
          surveyDone();
        }
      } else if (m.type === "callback") {
        remember("callback", m.to);
        cbEl.hidden = true;
        show("sys", "", "We will call you at " + m.to + " when it is your turn. You may close this page.");
      } else if (m.type === "error") {
        var p = m.cid && state.pending[m.cid];
        if (p && m.code === "unavailable" && p.tries < 5) {
          setTimeout(function () { send(m.cid); }, 3000);   /* again: its cid keeps it single */
        } else if (!m.cid && survey && m.code === "bad_state") {
          surveyDone();   /* answered in another tab, or too late */
        } else {
          if (!m.cid && survey) svGo.disabled = false;   /* the survey may be sent again */
          if (p) {
            p.li.classList.remove("sending");
            p.li.classList.add("failed");
            delete state.pending[m.cid];
          }
          show("sys", "", "Not sent: " + (m.code === "unavailable"
            ? "we cannot take messages right now, please try again later" : m.message));
        }
      }
    };
    ws.onclose = function (ev) {
      var wait = 2000;
      if (ev.code === 1008 && /visitor token/.test(ev.reason)) {
        // a visitor token the server no longer takes (its site secret changed): start afresh
        remember("visitor", null); remember("session", null); remember("resume", null);
        wait = 0;
      } else if (ev.code === 1008 && /user token|tenant/.test(ev.reason)) {
        // the page's own settings are refused: retrying soon cannot help
        statusEl.textContent = "Chat is unavailable";
        wait = 60000;
      } else {
        statusEl.textContent = "Reconnecting…";
      }
      setTimeout(connect, wait);
    };
  }

  /* tell the agent the customer is writing: at most every 3 s, only once there is a session */
  input.addEventListener("input", function () {
    if (!state.session || !state.ws || state.ws.readyState !== 1 || Date.now() - typingSent < 3000) return;
    typingSent = Date.now();
    state.ws.send(JSON.stringify({ type: "typing" }));
  });

  box.querySelector("form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    if (askName && !whoEl.hidden) {
      remember("name", nameEl.value.trim() || null);
      remember("contact", contactEl.value.trim() || null);
      state.name = state.name || "";
      state.contact = state.contact || "";
      whoEl.hidden = true;
    }
    var cid = "c" + (++state.seq) + "-" + Date.now();
    var li = show("in", "", text);
    li.classList.add("sending");
    state.pending[cid] = { li: li, text: text, tries: 0 };
    send(cid);   /* or, while disconnected, on the next welcome */
    input.value = "";
  });

  /* the name fields, before the first message of a conversation */
  function askWho() {
    whoEl.hidden = !(askName && !state.session && !state.name);
    if (!whoEl.hidden) nameEl.value = state.name;
  }
  askWho();

  connect();
})();
