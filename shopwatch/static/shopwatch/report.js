// Report form: say it is sending, and stop a second tap sending it again (the server also refuses duplicates).
// A description over its limit is flagged as the user types and is not sent (the server checks it too), so a
// long paste is never cut or lost.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form.report-form");
  if (!form) return;
  var text = form.querySelector("textarea[data-max-chars]");
  var note = null;
  function over() {
    if (!text) return false;
    var limit = parseInt(text.getAttribute("data-max-chars"), 10);
    var length = text.value.length;
    var tooLong = length > limit;
    if (tooLong && !note) {
      note = document.createElement("p");
      note.className = "error-message";
      note.id = text.id + "-length";
      note.setAttribute("role", "alert");
      text.insertAdjacentElement("afterend", note);
      text.setAttribute("aria-describedby", (text.getAttribute("aria-describedby") || "") + " " + note.id);
    }
    if (note) {
      note.hidden = !tooLong;
      note.textContent = tooLong
        ? "At most " + limit.toLocaleString("en-GB") + " characters (this has " + length.toLocaleString("en-GB") +
          "). Shorten it before sending: nothing you typed is lost."
        : "";
    }
    text.setAttribute("aria-invalid", tooLong ? "true" : "false");
    return tooLong;
  }
  if (text) text.addEventListener("input", over);
  form.addEventListener("submit", function (event) {
    if (over()) {
      event.preventDefault();
      text.focus();
      return;
    }
    var button = form.querySelector("button[type=submit]");
    if (!button) return;
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = form.getAttribute("data-sending-text") || "Sending…";
    }, 0);
  });
});
