// ShopWatch's service worker (scope "/"): the report form, the waiting/confirmation page and the recent
// reports list stay available without a network (network first, the last copy when offline); a report
// sent while the connection fails is kept on the device and sent later (see offline-queue.js).
importScripts("{{ queue_url }}");

var PAGES = "shopwatch-pages-v1";
var STATIC = "shopwatch-static-v1";
var CACHED_PAGES = {{ cached_pages|safe }};
var STATIC_FILES = {{ static_files|safe }};
var FORM_URL = self.ShopWatchOffline.FORM_URL;
var WAITING_URL = self.ShopWatchOffline.CONTEXT_URL;

function randomToken() {
  var bytes = self.crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

async function remember(path, response) {
  if (!response.ok || response.redirected || response.type !== "basic") { return; }
  var cache = await caches.open(PAGES);
  await cache.put(path, response);
}

// The page names the pages its user may open; only those of CACHED_PAGES are fetched and kept.
async function warm(pages) {
  var cache = await caches.open(PAGES);
  for (var path of CACHED_PAGES) {
    if (pages.indexOf(path) === -1) { continue; }
    if (await cache.match(path)) { continue; }
    try { await remember(path, await fetch(path, { credentials: "same-origin" })); } catch (e) { return; }
  }
  var files = await caches.open(STATIC);
  try { await files.addAll(STATIC_FILES); } catch (e) { /* offline: cached on the next visit */ }
}

// A copy of the report form from the cache gets a new one-time token, so two reports made offline from
// it are two reports.
async function fromCache(path) {
  var cache = await caches.open(PAGES);
  var cached = await cache.match(path) || await cache.match(WAITING_URL);
  if (!cached) {
    return new Response("<!doctype html><title>Offline</title><p>You are offline and this page was not saved on this device.</p>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  }
  if (path !== FORM_URL) { return cached; }
  var html = (await cached.text()).replace(/(name="token" value=")[^"]*"/, "$1" + randomToken() + '"');
  return new Response(html, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function page(request) {
  var path = new URL(request.url).pathname;
  try {
    var response = await fetch(request);
    if (CACHED_PAGES.indexOf(path) !== -1 && !new URL(request.url).search) { await remember(path, response.clone()); }
    return response;
  } catch (e) {
    return fromCache(path);
  }
}

async function userOfCachedForm() {
  var cached = await (await caches.open(PAGES)).match(FORM_URL);
  var m = cached && /<meta name="shopwatch-user" content="([^"]*)"/.exec(await cached.text());
  return m ? m[1] : "";
}

// The report form's own POST: when the connection fails (before or during the send) the report is kept
// and the worker is shown the waiting page; if the server had filed it, the retry gets the same report.
async function report(request) {
  var copy = request.clone();
  try {
    return await fetch(request);
  } catch (e) {
    await self.ShopWatchOffline.add(await copy.formData(), await userOfCachedForm());
    if (self.registration.sync) { self.registration.sync.register("shopwatch-send").catch(function () {}); }
    return Response.redirect(WAITING_URL + "?saved=1", 303);
  }
}

async function staticFile(request) {
  var cache = await caches.open(STATIC);
  var cached = await cache.match(request);
  var fresh = fetch(request).then(function (response) {
    if (response.ok) { cache.put(request, response.clone()); }
    return response;
  });
  if (cached) { fresh.catch(function () {}); return cached; }
  return fresh;
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(STATIC_FILES); })
    .catch(function () {}).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("message", function (event) {
  if (event.data && event.data.warm) { event.waitUntil(warm([].concat(event.data.warm))); }
  if (event.data === "forget") { event.waitUntil(caches.delete(PAGES)); }
});
self.addEventListener("sync", function (event) {
  if (event.tag === "shopwatch-send") { event.waitUntil(self.ShopWatchOffline.sendAll()); }
});
self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && request.method === "POST" && url.pathname === FORM_URL) {
    event.respondWith(report(request));
  } else if (request.mode === "navigate" && request.method === "GET") {
    event.respondWith(page(request));
  } else if (request.method === "GET" && STATIC_FILES.indexOf(url.pathname) !== -1) {
    event.respondWith(staticFile(request));
  }
});
