/*
 * desk-attach.js: a photo or a voice message for the customer. The file goes to
 * POST /api/v1/desk/media with the desk's token (kept three days), then the reply names it
 * ({"type":"reply", "media", "kind"}); the customer's channel sends it as it can (WeChat:
 * a photo or voice message; a channel that takes text only says so beside the reply).
 */
(function () {
  "use strict";
  var st = window.omniqDesk, input = document.getElementById("attach-file");
  if (!st || !input) return;
  function tell(text) { document.getElementById("act-err").textContent = text; }
  input.addEventListener("change", function () {
    var f = input.files && input.files[0], sid = st.sel;
    input.value = "";
    if (!f || !sid) return;
    fetch("/api/v1/desk/media", {
      method: "POST", body: f,
      headers: { "Authorization": "Bearer " + st.token, "Content-Type": f.type || "application/octet-stream" }
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, j: j }; });
    }).then(function (a) {
      if (!a.ok) { tell("Not sent: " + ((a.j.error && a.j.error.message) || "the file was not taken")); return; }
      tell("");
      st.send({ type: "reply", sid: sid, media: a.j.media, kind: a.j.kind }, function (m) {
        if (m.type === "error") tell(st.say(m));
      });
    }).catch(function () { tell("Not sent: the file could not be sent"); });
  });
})();
