// Service worker: show a pushed alert as a notification; open the alert when it is tapped.
self.addEventListener("push", function (event) {
  var alert = {};
  try { alert = event.data.json(); } catch (e) { alert = { message: "New ShopWatch alert" }; }
  event.waitUntil(self.registration.showNotification("ShopWatch alert", {
    body: alert.message, tag: "shopwatch-alert-" + alert.id, data: { url: "/alerts/" + alert.id + "/" }
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url));
});
