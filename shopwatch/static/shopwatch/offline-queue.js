// Reports made without a connection: kept on this device (IndexedDB, AES-GCM with a key that cannot leave the
// browser) until the server has filed them, then deleted. Loaded by pages and by the service worker (/sw.js).
// Each report keeps the one-time token of its form as its idempotency key, so however many times a send is
// retried (a dropped connection, a closed page, a page and the service worker at once) it is filed once.
(function (root) {
  "use strict";
  var DB_NAME = "shopwatch-offline";
  var FORM_URL = "/incidents/new/";
  var CONTEXT_URL = "/incidents/waiting/";
  var KEY_NAME = "report-key";
  var SEND_TIMEOUT_MS = 120000;  // a send that hangs (a dead connection) is given up and tried again later
  var channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("shopwatch-offline") : null;

  function timeout(ms) {
    return typeof AbortSignal !== "undefined" && AbortSignal.timeout ? AbortSignal.timeout(ms) : undefined;
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        var db = req.result;
        db.createObjectStore("reports", { keyPath: "key" });
        db.createObjectStore("keys");
        db.createObjectStore("sent", { keyPath: "key" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(store, mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode);
        var req = fn(t.objectStore(store));
        var result;
        if (req) { req.onsuccess = function () { result = req.result; }; }
        t.oncomplete = function () { db.close(); resolve(result); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function changed() {
    if (channel) { channel.postMessage("changed"); }
    if (typeof root.dispatchEvent === "function" && typeof CustomEvent === "function" && root.document) {
      root.dispatchEvent(new CustomEvent("shopwatch-offline-changed"));
    }
  }

  // A non-extractable AES-GCM key, made once per browser profile and kept in IndexedDB.
  async function cryptoKey() {
    if (!root.crypto || !root.crypto.subtle) { return null; }
    var key = await tx("keys", "readonly", function (s) { return s.get(KEY_NAME); });
    if (key) { return key; }
    key = await root.crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    try {
      await tx("keys", "readwrite", function (s) { return s.add(key, KEY_NAME); });
      return key;
    } catch (e) {  // another page or the service worker made one first: use theirs
      return tx("keys", "readonly", function (s) { return s.get(KEY_NAME); });
    }
  }

  // FormData (text and files) as one buffer: a length, a JSON list of the entries, then the files' bytes.
  async function pack(formData) {
    var entries = [];
    var parts = [];
    var size = 0;
    for (var pair of formData.entries()) {
      var value = pair[1];
      if (typeof value === "string") { entries.push([pair[0], value]); continue; }
      if (!value.name && !value.size) { continue; }  // an empty file input
      var bytes = new Uint8Array(await value.arrayBuffer());
      entries.push([pair[0], null, value.name, value.type, size, bytes.length]);
      parts.push(bytes);
      size += bytes.length;
    }
    var head = new TextEncoder().encode(JSON.stringify(entries));
    var out = new Uint8Array(4 + head.length + size);
    new DataView(out.buffer).setUint32(0, head.length);
    out.set(head, 4);
    var at = 4 + head.length;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out.buffer;
  }

  function unpack(buffer) {
    var headLength = new DataView(buffer).getUint32(0);
    var entries = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, headLength)));
    var base = 4 + headLength;
    var formData = new FormData();
    entries.forEach(function (e) {
      if (e[1] !== null) { formData.append(e[0], e[1]); return; }
      formData.append(e[0], new File([new Uint8Array(buffer, base + e[4], e[5])], e[2], { type: e[3] }));
    });
    return formData;
  }

  async function add(formData, user) {
    var key = formData.get("token");
    if (!key) { throw new Error("A report form without its token cannot be kept for sending later."); }
    var plain = await pack(formData);
    var record = { key: String(key), user: user || "", created: Date.now(), state: "waiting", message: "" };
    var ck = await cryptoKey();
    if (ck) {
      record.iv = root.crypto.getRandomValues(new Uint8Array(12));
      record.data = await root.crypto.subtle.encrypt({ name: "AES-GCM", iv: record.iv }, ck, plain);
      record.encrypted = true;
    } else {
      record.data = plain;
      record.encrypted = false;
    }
    await tx("reports", "readwrite", function (s) { return s.put(record); });
    changed();
    return record;
  }

  function list() { return tx("reports", "readonly", function (s) { return s.getAll(); }); }
  function sentList() { return tx("sent", "readonly", function (s) { return s.getAll(); }); }
  function forgetSent(key) { return tx("sent", "readwrite", function (s) { return s.delete(key); }); }
  async function remove(key) { await tx("reports", "readwrite", function (s) { return s.delete(key); }); changed(); }

  async function clearAll() {
    await tx("reports", "readwrite", function (s) { return s.clear(); });
    await tx("sent", "readwrite", function (s) { return s.clear(); });
    changed();
  }

  // A fresh CSRF token and who is signed in, from the server; null when offline or signed out.
  async function serverContext() {
    var response = await fetch(CONTEXT_URL, { credentials: "same-origin", cache: "no-store", signal: timeout(30000) });
    if (!response.ok || new URL(response.url).pathname !== CONTEXT_URL) { return null; }
    var text = await response.text();
    var csrf = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(text);
    var user = /<meta name="shopwatch-user" content="([^"]*)"/.exec(text);
    return csrf ? { csrf: csrf[1], user: user ? user[1] : "" } : null;
  }

  function errorText(html) {
    var m = /<div class="error-summary"[\s\S]*?<\/div>/.exec(html);
    var text = (m ? m[0] : "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
    return text || "The server could not file this report.";
  }

  // Sends one report. Resolves "sent", "refused" (the server will never accept it as it is) or "retry";
  // rejects when the connection fails (the report stays, and is sent again with the same key).
  async function sendOne(record, csrf) {
    var plain = record.data;
    if (record.encrypted) {
      plain = await root.crypto.subtle.decrypt({ name: "AES-GCM", iv: record.iv }, await cryptoKey(), record.data);
    }
    var formData = unpack(plain);
    formData.set("csrfmiddlewaretoken", csrf);
    var response = await fetch(FORM_URL, {
      method: "POST", body: formData, credentials: "same-origin", headers: { "X-CSRFToken": csrf },
      signal: timeout(SEND_TIMEOUT_MS)
    });
    var path = new URL(response.url).pathname;
    var filed = /^\/incidents\/(\d+)\/submitted\/$/.exec(path);
    if (response.ok && filed) {
      var html = await response.text();
      var reference = /id="reference">\s*([^<\s]+)/.exec(html);
      await tx("sent", "readwrite", function (s) {
        return s.put({ key: record.key, pk: Number(filed[1]), reference: reference ? reference[1] : "", at: Date.now() });
      });
      await remove(record.key);
      return "sent";
    }
    if (response.status === 422) {
      record.state = "refused";
      record.message = errorText(await response.text());
      await tx("reports", "readwrite", function (s) { return s.put(record); });
      changed();
      return "refused";
    }
    return "retry";
  }

  async function sendAllNow() {
    var waiting = (await list()).filter(function (r) { return r.state !== "refused"; });
    if (!waiting.length) { return 0; }
    var context = await serverContext();
    if (!context) { return 0; }
    var sent = 0;
    for (var record of waiting) {
      if (record.user && context.user && record.user !== context.user) { continue; }
      if ((await sendOne(record, context.csrf)) === "sent") { sent += 1; }
    }
    return sent;
  }

  // One sender at a time across pages and the service worker (a second one waits, then finds nothing left).
  function sendAll() {
    var run = function () { return sendAllNow().catch(function () { return 0; }); };
    var locks = root.navigator && root.navigator.locks;
    return locks ? locks.request("shopwatch-offline-send", run) : run();
  }

  root.ShopWatchOffline = {
    add: add, list: list, sentList: sentList, forgetSent: forgetSent, remove: remove,
    clearAll: clearAll, sendAll: sendAll, FORM_URL: FORM_URL, CONTEXT_URL: CONTEXT_URL
  };
})(self);
