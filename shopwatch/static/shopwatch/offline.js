// On every signed-in page: install the service worker, show the reports waiting to send (and "Send now"),
// send them when the connection returns, keep a report made offline, and ask before signing out with
// unsent reports (signing out deletes them and the saved pages from this device).
(function () {
  "use strict";
  var Q = window.ShopWatchOffline;
  var status = document.getElementById("offline-status");
  if (!Q || !status || !window.indexedDB) { return; }
  var userMeta = document.querySelector('meta[name="shopwatch-user"]');
  var user = userMeta ? userMeta.content : "";
  var waitingText = status.querySelector(".offline-waiting");
  var sendButton = status.querySelector("button");
  var sentBox = document.getElementById("offline-sent");
  var listBox = document.getElementById("offline-list");
  var registration = null;
  var shown = {};

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function item(text) { var li = document.createElement("li"); li.textContent = text; return li; }

  function showSent(confirmation) {
    var panel = document.createElement("div");
    panel.className = "panel panel-ok offline-sent";
    var heading = document.createElement("h2");
    heading.textContent = "Report sent";
    var intro = document.createElement("p");
    intro.textContent = "Your reference number is";
    var ref = document.createElement("p");
    ref.className = "reference";
    var link = document.createElement("a");
    link.href = "/incidents/" + confirmation.pk + "/submitted/";
    link.textContent = confirmation.reference;
    ref.appendChild(link);
    panel.append(heading, intro, ref);
    sentBox.appendChild(panel);
    sentBox.hidden = false;
  }

  async function render() {
    var records = await Q.list();
    var waiting = records.filter(function (r) { return r.state !== "refused"; });
    var refused = records.filter(function (r) { return r.state === "refused"; });
    var parts = [];
    if (waiting.length) { parts.push(plural(waiting.length, "report", "reports") + " waiting to send"); }
    if (refused.length) { parts.push(plural(refused.length, "report", "reports") + " could not be sent"); }
    waitingText.textContent = parts.join("; ");
    sendButton.hidden = !waiting.length;
    status.hidden = !records.length;
    document.body.setAttribute("data-offline-waiting", String(waiting.length));
    if (listBox) {
      listBox.replaceChildren.apply(listBox, records.map(function (r) {
        var when = new Date(r.created).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
        return item("Made " + when + ": " + (r.state === "refused" ? "could not be sent. " + r.message : "waiting to send"));
      }));
      document.getElementById("offline-none").hidden = records.length > 0;
    }
    for (var confirmation of await Q.sentList()) {
      if (shown[confirmation.key]) { continue; }
      shown[confirmation.key] = true;
      showSent(confirmation);
      await Q.forgetSent(confirmation.key);
    }
  }

  var sending = null;
  function sendNow() {
    if (!navigator.onLine) { return Promise.resolve(); }
    if (!sending) {
      sendButton.disabled = true;
      sending = Q.sendAll().then(render).finally(function () { sending = null; sendButton.disabled = false; });
    }
    return sending;
  }

  sendButton.addEventListener("click", function () { sendNow(); });
  window.addEventListener("online", function () { sendNow(); });
  window.addEventListener("shopwatch-offline-changed", function () { render(); });
  if (typeof BroadcastChannel === "function") {
    new BroadcastChannel("shopwatch-offline").onmessage = function () { render(); };
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(status.getAttribute("data-sw-url"), { scope: "/" }).catch(function () {});
    navigator.serviceWorker.ready.then(function (reg) {
      registration = reg;
      var pages = (status.getAttribute("data-offline-pages") || "").split(" ").filter(Boolean);
      if (reg.active && pages.length) { reg.active.postMessage({ warm: pages }); }
    });
  }

  // A report made while the phone is offline is kept here rather than lost to a browser error page.
  var form = document.querySelector("form.report-form");
  if (form) {
    // On the document, so the form's own checks (report.js) run first and can stop the submit.
    document.addEventListener("submit", function (event) {
      if (event.target !== form || event.defaultPrevented || navigator.onLine) { return; }
      event.preventDefault();
      Q.add(new FormData(form), user).then(function () {
        if (registration && registration.sync) { registration.sync.register("shopwatch-send").catch(function () {}); }
        window.location.assign(Q.CONTEXT_URL + "?saved=1");
      });
    });
  }

  // Signing out: with reports waiting, a dialog says how many and offers to send them now or stay signed in
  // (or to sign out anyway, deleting them); with none waiting it signs out at once. Either way nothing of this
  // account's stays on the device.
  var signOut = document.querySelector("form.sign-out");
  var signOutDialog = null;

  function finishSignOut() {
    return Q.clearAll().then(function () { return window.caches ? caches.delete("shopwatch-pages-v1") : null; })
      .catch(function () {}).then(function () { signOut.submit(); });
  }

  function askBeforeSignOut(waiting) {
    if (!signOutDialog) {
      signOutDialog = document.createElement("dialog");
      signOutDialog.className = "sign-out-warning";
      signOutDialog.setAttribute("aria-labelledby", "sign-out-warning-title");
      signOutDialog.setAttribute("aria-describedby", "sign-out-warning-text");
      var title = document.createElement("h2");
      title.id = "sign-out-warning-title";
      title.textContent = "Reports not sent yet";
      var text = document.createElement("p");
      text.id = "sign-out-warning-text";
      var choices = document.createElement("form");
      choices.method = "dialog";
      [["send", "Send now", "button"], ["stay", "Stay signed in", "button button-secondary"],
       ["sign-out", "Sign out and delete them", "button button-danger"]].forEach(function (choice) {
        var button = document.createElement("button");
        button.type = "submit";
        button.value = choice[0];
        button.textContent = choice[1];
        button.className = choice[2];
        choices.appendChild(button);
      });
      signOutDialog.append(title, text, choices);
      document.body.appendChild(signOutDialog);
      signOutDialog.addEventListener("close", function () {
        var answer = signOutDialog.returnValue;
        signOutDialog.returnValue = "";
        if (answer === "sign-out") { finishSignOut(); }
        else if (answer === "send") { sendNow(); }
      });
    }
    signOutDialog.querySelector("#sign-out-warning-text").textContent =
      plural(waiting, "report has", "reports have") + " not been sent yet. If you sign out now, " +
      (waiting === 1 ? "it" : "they") + " will be deleted from this device and never reach ShopWatch." +
      (navigator.onLine ? "" : " You are offline: " + (waiting === 1 ? "it" : "they") +
       " will be sent when the connection returns if you stay signed in.");
    signOutDialog.querySelector('button[value="send"]').hidden = !navigator.onLine;
    signOutDialog.returnValue = "";
    signOutDialog.showModal();
    signOutDialog.querySelector('button[value="stay"]').focus();
  }

  if (signOut) {
    signOut.addEventListener("submit", function (event) {
      event.preventDefault();
      Q.list().then(function (records) {
        if (records.length) { askBeforeSignOut(records.length); return null; }
        return finishSignOut();
      }).catch(function () { signOut.submit(); });
    });
  }

  render().then(function () { return sendNow(); });
})();
