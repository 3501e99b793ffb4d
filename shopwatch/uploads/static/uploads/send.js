/* Send files to /api/v1/uploads with tus-js-client: progress per file, resumes after a dropped connection. */
(function () {
  "use strict";
  var form = document.getElementById("send-form");
  if (!form || !window.tus) { return; }
  var input = document.getElementById("files");
  var list = document.getElementById("send-progress");
  var summary = document.getElementById("send-errors");
  var summaryList = document.getElementById("send-errors-list");
  var fieldError = document.getElementById("files-error");
  var field = document.getElementById("files-field");
  var button = document.getElementById("send-button");
  var maxBytes = parseInt(form.dataset.maxBytes, 10);

  function formatSize(n) {
    if (n >= 1073741824) { return (n / 1073741824).toFixed(1) + " GB"; }
    if (n >= 1048576) { return (n / 1048576).toFixed(1) + " MB"; }
    return Math.max(1, Math.round(n / 1024)) + " KB";
  }

  function showErrors(messages) {
    summaryList.textContent = "";
    messages.forEach(function (m) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#files";
      a.textContent = m;
      li.appendChild(a);
      summaryList.appendChild(li);
    });
    summary.hidden = messages.length === 0;
    fieldError.hidden = messages.length === 0;
    fieldError.textContent = messages.join(" ");
    field.classList.toggle("field-error", messages.length > 0);
    if (messages.length) { summary.focus(); }
  }

  function problemMessage(err) {
    var res = err && err.originalResponse;
    if (res) {
      try {
        var body = JSON.parse(res.getBody() || "{}");
        if (body.errors && body.errors.length) { return body.errors[0].message; }
        if (body.detail) { return body.detail; }
        if (body.title) { return body.title; }
      } catch (e) { /* not a problem document */ }
      return "The server refused the file (" + res.getStatus() + ").";
    }
    return "The connection failed. Choose the same file again to carry on where it stopped.";
  }

  function row(file) {
    var li = document.createElement("li");
    var name = document.createElement("p");
    name.className = "card-title";
    name.textContent = file.name + " (" + formatSize(file.size) + ")";
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Sending " + file.name);
    var status = document.createElement("p");
    status.className = "caption";
    status.textContent = "Waiting";
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(status);
    list.appendChild(li);
    return { bar: bar, status: status, li: li };
  }

  function send(file) {
    var ui = row(file);
    var headers = form.dataset.token ? { Authorization: "Bearer " + form.dataset.token }
                                     : { "X-CSRFToken": form.dataset.csrf };
    var evidenceId = null;
    var upload = new window.tus.Upload(file, {
      endpoint: form.dataset.endpoint,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      chunkSize: 64 * 1024 * 1024,
      headers: headers,
      metadata: {
        incident: form.dataset.incident,
        filename: file.name,
        filetype: file.type || "",
        device_time: String(Date.now())
      },
      removeFingerprintOnSuccess: true,
      onShouldRetry: function (err) {
        var status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        return status === 0 || status === 409 || status === 423 || status >= 500;
      },
      onAfterResponse: function (req, res) {
        var id = res.getHeader("ShopWatch-Evidence-Id");
        if (id) { evidenceId = id; }
      },
      onProgress: function (sent, total) {
        var pct = total ? Math.floor(sent / total * 100) : 0;
        ui.bar.value = pct;
        ui.status.textContent = "Sending: " + pct + "% (" + formatSize(sent) + " of " + formatSize(total) + ")";
      },
      onSuccess: function () {
        ui.bar.value = 100;
        ui.status.textContent = "Received and kept as evidence" + (evidenceId ? " (evidence " + evidenceId + ")" : "") + ".";
        ui.li.classList.add("send-done");
      },
      onError: function (err) {
        ui.status.textContent = "Not sent: " + problemMessage(err);
        ui.li.classList.add("send-failed");
        showErrors(["“" + file.name + "”: " + problemMessage(err)]);
      }
    });
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) { upload.resumeFromPreviousUpload(previous[0]); }
      upload.start();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var files = Array.prototype.slice.call(input.files || []);
    var problems = [];
    if (!files.length) { problems.push("Choose at least one file to send."); }
    files.forEach(function (f) {
      if (f.size === 0) { problems.push("“" + f.name + "” is empty (0 bytes)."); }
      else if (f.size > maxBytes) { problems.push("“" + f.name + "” is " + formatSize(f.size) + "; the limit is " + formatSize(maxBytes) + "."); }
    });
    showErrors(problems);
    if (problems.length) { return; }
    files.forEach(send);
    input.value = "";
    button.blur();
  });
}());
