/*
 * desk-canned.js: saved replies. The agent's own and the tenant's ({"type":"canned"}), read
 * at each connect. In the reply box, "/" and the start of a name lists the matching ones;
 * Up/Down choose, Enter or Tab puts the reply in the box (to edit and send as ever), Escape
 * closes the list. Under "Saved replies" the agent keeps its own (a name and a text; saved
 * again under the same name it is replaced, the tenant's of that name hidden for this
 * agent); the tenant's come from the admin (kamcmd omniq.canned_set).
 */
(function () {
  "use strict";
  var st = window.omniqDesk, $ = function (id) { return document.getElementById(id); };
  var all = [], shown = [], at = 0, box = $("reply-text"), menu = $("canned-menu");

  function load(list) {
    all = list || [];
    var ul = $("canned-list");
    ul.textContent = "";
    all.forEach(function (c) {
      var li = st.el("li");
      li.appendChild(st.el("span", "n", "/" + c.name));
      li.appendChild(st.el("span", "t", c.scope === "team" ? "(team) " + c.text : c.text));
      if (c.scope === "mine") {
        var del = st.el("button", "secondary", "delete");
        del.type = "button";
        del.addEventListener("click", function () {
          st.send({ type: "canned", name: c.name, text: "" }, function (m) { if (m.type === "ok") load(m.canned); });
        });
        li.appendChild(del);
      }
      ul.appendChild(li);
    });
  }

  function close() { menu.hidden = true; shown = []; }

  /* "/ref" at the start of the box, nothing else yet: the replies whose name starts so */
  function update() {
    var v = box.value, m = /^\/([^\s]*)$/.exec(v);
    if (!m) { close(); return; }
    var q = m[1].toLowerCase();
    shown = all.filter(function (c) { return c.name.toLowerCase().indexOf(q) === 0; });
    menu.textContent = "";
    if (!shown.length) {
      menu.appendChild(st.el("li", "muted", all.length ? "No saved reply starts with /" + m[1] : "No saved replies yet"));
      menu.hidden = false;
      return;
    }
    at = Math.min(at, shown.length - 1);
    shown.forEach(function (c, i) {
      var li = st.el("li", i === at ? "sel" : "");
      li.setAttribute("role", "option");
      li.dataset.name = c.name;
      li.appendChild(st.el("span", "n", "/" + c.name));
      li.appendChild(st.el("span", "t", c.text.length > 80 ? c.text.slice(0, 80) + "…" : c.text));
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); use(i); });
      menu.appendChild(li);
    });
    menu.hidden = false;
  }

  function use(i) {
    box.value = shown[i].text;
    box.dispatchEvent(new Event("change")); /* the SMS counter counts it */
    close();
    box.focus();
  }

  box.addEventListener("input", function () { at = 0; update(); });
  box.addEventListener("blur", function () { setTimeout(close, 150); });
  /* before desk.js' Enter-sends (capture at the target runs first) */
  box.addEventListener("keydown", function (ev) {
    if (menu.hidden || !shown.length) {
      if (ev.key === "Escape") close();
      return;
    }
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      at = (at + (ev.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      update();
    } else if (ev.key === "Enter" || ev.key === "Tab") {
      use(at);
    } else if (ev.key === "Escape") {
      close();
    } else {
      return;
    }
    ev.preventDefault();
    ev.stopImmediatePropagation();
  }, true);

  $("canned-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    st.send({ type: "canned", name: $("canned-name").value.trim(), text: $("canned-text").value },
      function (m) {
        if (m.type !== "ok") return;
        $("canned-name").value = "";
        $("canned-text").value = "";
        load(m.canned);
      });
  });

  st.hooks.push({
    inbox: function (m) {
      if (m.type === "welcome") st.send({ type: "canned" }, function (r) { if (r.type === "ok") load(r.canned); });
    }
  });
})();
