/*
 * desk-followups.js: the agent's follow-ups (callbacks, return visits; admin.md
 * "Follow-ups"), in the right-hand pane:
 *   - its own not yet ended, soonest first: when due and why; one past due that has not
 *     come yet (its queue closed, or no node swept) is marked overdue, in red, and counted
 *     apart (looked at again every 30 s); an opened one names its
 *     session (click: open it) and has its outcome buttons - Reached, No answer (tried again
 *     after the retry interval while retries are left), Refused - which end it;
 *   - "Follow up" schedules one of the open session's customer for this agent, in a day, three
 *     days, a week or 90 days, with a reason the agent reads when it comes;
 *   - the list is read at each connect and again when one of them moves (a "followup"
 *     frame: scheduled, opened, ended).
 */
(function () {
  "use strict";
  var st = window.omniqDesk, $ = function (id) { return document.getElementById(id); };
  var OUTCOME = [["reached", "Reached"], ["no_answer", "No answer"], ["refused", "Refused"]];

  var shown = [];

  function render(rows) {
    var ul = $("fu-list"), n = $("fu-count"), late = 0;
    shown = rows;
    ul.textContent = "";
    rows.forEach(function (f) {
      var li = st.el("li", f.state), when = new Date(Number(f.due)),
          at = when.toLocaleDateString() + " " + when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
          overdue = f.state === "scheduled" && (f.overdue === "1" || Number(f.due) <= Date.now());
      li.dataset.fid = f.id;
      if (overdue) { li.classList.add("overdue"); late++; }
      li.appendChild(st.el("span", "when", f.state === "opened" ? "Due now" :
        (overdue ? "Overdue since " : "") + at));
      li.appendChild(st.el("span", "why", f.reason));
      if (f.state === "opened") {
        var open = st.el("a", "sid", "session " + f.opened_sid);
        open.href = "#";
        open.addEventListener("click", function (ev) { ev.preventDefault(); st.select(f.opened_sid); });
        li.appendChild(open);
        OUTCOME.forEach(function (o) {
          var b = st.el("button", "secondary", o[1]);
          b.type = "button";
          b.dataset.outcome = o[0];
          b.addEventListener("click", function () {
            b.disabled = true;
            st.send({ type: "followup_done", fid: f.id, outcome: o[0] }, function (m) {
              if (m.type === "ok") load(); else b.disabled = false;
            });
          });
          li.appendChild(b);
        });
      }
      ul.appendChild(li);
    });
    if (!rows.length) ul.appendChild(st.el("li", "muted", "None scheduled"));
    n.textContent = rows.length ? String(rows.length) + (late ? " (" + late + " overdue)" : "") : "";
  }
  /* a scheduled one turns overdue without any event: looked at again now and then */
  setInterval(function () { if (shown.length) render(shown); }, 30000);

  function load() {
    st.send({ type: "followups" }, function (m) { if (m.type === "ok") render(m.followups); }, true);
  }

  function selected(sid) {
    $("fu-add").disabled = !sid;
    $("fu-for").textContent = sid ? "for session " + sid : "(open a session first)";
  }

  $("fu-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!st.sel) return;
    st.send({ type: "followup_add", sid: st.sel, due: $("fu-due").value, reason: $("fu-reason").value.trim() },
      function (m) { if (m.type === "ok") { $("fu-reason").value = ""; load(); } });
  });

  st.hooks.push({
    inbox: function (m) { if (m.type === "welcome") load(); },
    select: selected,
    followup: load
  });
  selected(null);
})();
