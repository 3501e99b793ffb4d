// Web push: subscribe this browser when the member ticks "notifications on this device".
(function () {
  "use strict";
  var form = document.getElementById("alert-preferences");
  var box = document.getElementById("id_by_push");
  var status = document.getElementById("push-status");
  if (!form || !box) { return; }
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    status.textContent = "This browser cannot show notifications; alerts still appear on open pages and by email.";
    return;
  }
  function urlB64ToUint8Array(b64) {
    var padding = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + padding).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  box.addEventListener("change", function () {
    if (!box.checked) { return; }
    navigator.serviceWorker.register(form.getAttribute("data-sw-url") || "/static/alerts/sw.js").then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true,
        applicationServerKey: urlB64ToUint8Array(form.getAttribute("data-vapid-key")) });
    }).then(function (sub) {
      var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
      return fetch(form.getAttribute("data-subscribe-url"), { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token }, body: JSON.stringify(sub) });
    }).then(function () {
      status.textContent = "Notifications are on for this device.";
    }).catch(function () {
      status.textContent = "Notifications could not be turned on; check the browser's permission.";
      box.checked = false;
    });
  });
})();
