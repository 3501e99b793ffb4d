// Web push on the alert choices page. The browser is asked for permission only when the member presses
// "Turn on notifications", never on page load; the page always says whether notifications are on, off,
// blocked in the browser's settings, or not supported by this browser.
(function () {
  "use strict";
  var box = document.getElementById("push");
  if (!box) { return; }
  var state = document.getElementById("push-state");
  var help = document.getElementById("push-help");
  var onButton = document.getElementById("push-on");
  var offButton = document.getElementById("push-off");
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");

  function show(text, hint, on, off) {
    state.textContent = text;
    help.textContent = hint;
    onButton.hidden = !on;
    offButton.hidden = !off;
  }
  function urlB64ToUint8Array(b64) {
    var padding = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + padding).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
      body: JSON.stringify(body) }).then(function (response) {
      if (!response.ok) { throw new Error("refused"); }
      return response;
    });
  }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    show("not supported", "This browser cannot show notifications. Alerts still appear at the top of every " +
      "ShopWatch page and by email if you chose it.", false, false);
    return;
  }
  function registration() {
    return navigator.serviceWorker.getRegistration(box.getAttribute("data-sw-url")).then(function (reg) {
      return reg || navigator.serviceWorker.register(box.getAttribute("data-sw-url"));
    });
  }
  function refresh() {
    if (Notification.permission === "denied") {
      show("blocked", "Notifications are blocked for ShopWatch in this browser's settings. Allow them there, " +
        "then come back to this page.", false, false);
      return Promise.resolve();
    }
    return navigator.serviceWorker.getRegistration(box.getAttribute("data-sw-url")).then(function (reg) {
      return reg ? reg.pushManager.getSubscription() : null;
    }).then(function (sub) {
      if (sub && Notification.permission === "granted") {
        show("on", "Alerts for your area appear as notifications on this device.", false, true);
      } else {
        show("off", "Press the button to be asked by your browser whether ShopWatch may show notifications.",
          true, false);
      }
    }).catch(function () {
      show("off", "Press the button to be asked by your browser whether ShopWatch may show notifications.",
        true, false);
    });
  }
  onButton.addEventListener("click", function () {
    onButton.disabled = true;
    registration().then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true,
        applicationServerKey: urlB64ToUint8Array(box.getAttribute("data-vapid-key")) });
    }).then(function (sub) {
      return post(box.getAttribute("data-subscribe-url"), sub.toJSON());
    }).then(refresh).catch(function () {
      return refresh().then(function () {
        if (state.textContent === "off") {
          help.textContent = "Notifications could not be turned on. Check the browser's permission and try again.";
        }
      });
    }).finally(function () { onButton.disabled = false; });
  });
  offButton.addEventListener("click", function () {
    offButton.disabled = true;
    navigator.serviceWorker.getRegistration(box.getAttribute("data-sw-url")).then(function (reg) {
      return reg ? reg.pushManager.getSubscription() : null;
    }).then(function (sub) {
      if (!sub) { return null; }
      var endpoint = sub.endpoint;
      return sub.unsubscribe().then(function () {
        return post(box.getAttribute("data-unsubscribe-url"), { endpoint: endpoint });
      });
    }).then(refresh).catch(refresh).finally(function () { offButton.disabled = false; });
  });
  refresh();
})();
