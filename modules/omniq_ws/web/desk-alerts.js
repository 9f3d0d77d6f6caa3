/*
 * desk-alerts.js: offers and messages an agent must not miss while looking elsewhere.
 *   - a new offer plays a short chime (Web Audio, allowed once the agent has clicked in the
 *     page: the login or any click) and, while the desk is in the background, shows a
 *     browser notification (asked for at login); clicking it opens the offer;
 *   - the tab's title counts the offers and unread customer messages: "(2) omniq agent desk";
 *   - a service-level alert for this agent (level 1: a session it answers for, 2: as the
 *     queue's supervisor, 3: as its manager) chimes and is listed under the header until
 *     clicked; clicking opens the session when it is in the agent's inbox, and its "Take it"
 *     button says the agent is on it (alert_ack: kept in the session's alert history).
 * The countdown to each offer's timeout is in desk.js (tick).
 */
(function () {
  "use strict";
  var st = window.omniqDesk, base = document.title, seen = {}, audio = null;

  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      [0, 0.18].forEach(function (at) {
        var o = audio.createOscillator(), g = audio.createGain(), t = audio.currentTime + at;
        o.frequency.value = 880;
        g.gain.setValueAtTime(0.0001, t);
        g.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t + 0.15);
        o.connect(g).connect(audio.destination);
        o.start(t);
        o.stop(t + 0.16);
      });
      st.chimes = (st.chimes || 0) + 1;
    } catch (e) { /* no audio device: the title and the notification still tell */ }
  }

  function notify(s) {
    if (!document.hidden || !window.Notification || Notification.permission !== "granted") return;
    var n = new Notification("New " + (st.CH[s.channel] || s.channel) + " from " + st.who(s),
      { body: s.queue ? "Queue " + s.queue : "", tag: "omniq-offer-" + s.sid });
    n.onclick = function () { window.focus(); st.select(s.sid); n.close(); };
  }

  function title() {
    /* an offer counts once, however many lines its customer has written */
    var n = 0;
    st.inbox.forEach(function (s) { n += s.state === "offered" ? 1 : st.unread[s.sid] || 0; });
    document.title = (n ? "(" + n + ") " : "") + base;
  }

  /* an audio context may start only after a gesture: any click in the page is one */
  document.addEventListener("click", function () {
    if (audio && audio.state === "suspended") audio.resume();
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && st.sel && st.unread[st.sel]) { delete st.unread[st.sel]; title(); }
  });

  st.hooks.push({
    login: function () {
      if (window.Notification && Notification.permission === "default") Notification.requestPermission();
      if (!audio) try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
    },
    inbox: function () {
      st.inbox.forEach(function (s) {
        if (s.state === "offered" && !seen[s.sid + "/" + s.offer_exp]) {
          seen[s.sid + "/" + s.offer_exp] = true;
          chime();
          notify(s);
        }
      });
      title();
    },
    message: title,
    select: title,
    alert: function (m) {
      var KIND = { first: "first response", reply: "reply", resolve: "resolution" };
      var li = document.createElement("li"), min = Math.floor(m.wait_ms / 60000);
      li.className = "l" + m.level;
      li.textContent = "Service level " + m.level + ": session " + m.sid + ", " +
        (KIND[m.kind] || m.kind) + " waiting " + (min ? min + " min " : "") +
        Math.floor(m.wait_ms / 1000) % 60 + " s";
      li.onclick = function () {
        li.remove();
        if (st.inbox.some(function (s) { return s.sid === m.sid; })) st.select(m.sid);
      };
      /* "I am on it": kept in the session's alert history (kamcmd omniq.sla shows who) */
      var take = document.createElement("button");
      take.type = "button";
      take.className = "take";
      take.textContent = "Take it";
      take.onclick = function (e) {
        e.stopPropagation();
        take.disabled = true;
        st.send({ type: "alert_ack", sid: m.sid }, function (r) {
          if (r.type === "ok") { li.classList.add("taken"); take.textContent = "Taken"; }
          else take.disabled = false;
        });
      };
      li.appendChild(take);
      document.getElementById("sla-alerts").appendChild(li);
      chime();
      if (document.hidden && window.Notification && Notification.permission === "granted")
        new Notification(li.textContent, { tag: "omniq-sla-" + m.sid + "-" + m.level });
    }
  });
})();
