// Live alerts on every open page: a server-sent event stream, shown in a live region at the top.
(function () {
  "use strict";
  var region = document.getElementById("live-alerts");
  if (!region || !window.EventSource) { return; }
  var source = new EventSource(region.getAttribute("data-stream-url"));
  source.addEventListener("alert", function (event) {
    var alert;
    try { alert = JSON.parse(event.data); } catch (e) { return; }
    var item = document.createElement("p");
    item.className = "live-alert";
    var link = document.createElement("a");
    link.href = "/alerts/" + alert.id + "/";
    link.textContent = alert.message;
    item.appendChild(document.createTextNode("Alert: "));
    item.appendChild(link);
    region.insertBefore(item, region.firstChild);
    region.hidden = false;
  });
})();
