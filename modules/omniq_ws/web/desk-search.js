/*
 * desk-search.js: the agent's search over the conversations it has served
 * ({"type":"search","q":...}): the customer, its disposition and tags, any transcript line,
 * notes included; the 20 newest matches, each with its date, channel, customer and the
 * line that matched. An empty box closes the results.
 */
(function () {
  "use strict";
  var st = window.omniqDesk, $ = function (id) { return document.getElementById(id); };

  function render(list, q) {
    var ol = $("found");
    ol.textContent = "";
    ol.hidden = false;
    if (!list.length) ol.appendChild(st.el("li", "muted", "Nothing found for “" + q + "”"));
    list.forEach(function (f) {
      var li = st.el("li");
      li.dataset.sid = f.sid;
      li.appendChild(st.el("span", "meta", new Date(+f.created).toLocaleDateString() + " · " +
        (st.CH[f.channel] || f.channel) + " · " + f.who + (f.disposition ? " · " + f.disposition : "") +
        " · session " + f.sid));
      li.appendChild(st.el("span", "snip", f.snippet));
      ol.appendChild(li);
    });
  }

  $("search").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = $("search-q").value.trim();
    if (q.length < 2) { $("found").hidden = true; return; }
    st.send({ type: "search", q: q }, function (m) { if (m.type === "ok") render(m.found || [], q); });
  });
  $("search-q").addEventListener("input", function (ev) { if (!ev.target.value) $("found").hidden = true; });
})();
