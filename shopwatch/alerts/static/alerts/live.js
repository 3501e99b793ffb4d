// Live alerts on every open page of a member who receives them: a server-sent event stream, shown in a live
// region in the alert banner at the top (the banner already lists the alerts raised before the page opened).
(function () {
  "use strict";
  var banner = document.getElementById("alert-banner");
  var region = document.getElementById("live-alerts");
  if (!banner || !region || !region.getAttribute("data-stream-url") || !window.EventSource) { return; }
  var source = new EventSource(region.getAttribute("data-stream-url"));
  source.addEventListener("alert", function (event) {
    var alert;
    try { alert = JSON.parse(event.data); } catch (e) { return; }
    if (banner.querySelector('[data-alert-id="' + String(Number(alert.id)) + '"]')) { return; }
    var item = document.createElement("p");
    item.className = "live-alert";
    item.setAttribute("data-alert-id", String(Number(alert.id)));
    var link = document.createElement("a");
    link.href = "/alerts/" + alert.id + "/";
    link.textContent = alert.message;
    item.appendChild(document.createTextNode("Alert: "));
    item.appendChild(link);
    region.insertBefore(item, region.firstChild);
    banner.hidden = false;
  });
})();
