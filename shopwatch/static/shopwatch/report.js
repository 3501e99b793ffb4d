// Report form: say it is sending, and stop a second tap sending it again (the server also refuses duplicates).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form.report-form");
  if (!form) return;
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (!button) return;
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = form.getAttribute("data-sending-text") || "Sending…";
    }, 0);
  });
});
