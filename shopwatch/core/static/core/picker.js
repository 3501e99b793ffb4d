/* The record picker (core/pickers.py): a text box becomes an ARIA 1.2 combobox whose options the server
   renders as the user types (the app's picker address, scoped to the viewer). Arrow keys move through the
   options, Enter or a tap chooses one, Escape closes the list. Choosing keeps the record's id in the hidden
   <name>_choice field; typing again clears it, so the server then resolves the text. Without this script the
   text box works on its own. */
(function () {
  "use strict";
  if (window.shopwatchPicker) { return; }
  window.shopwatchPicker = true;

  function setup(root) {
    var input = root.querySelector("[data-picker-input]");
    var list = root.querySelector("[data-picker-list]");
    var status = root.querySelector("[data-picker-status]");
    var choice = root.querySelector("[data-picker-choice]");
    var url = root.getAttribute("data-url");
    if (!input || !list || !url || root.hasAttribute("data-picker-ready")) { return; }
    root.setAttribute("data-picker-ready", "");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var timer = null, active = -1, seq = 0;

    function options() { return Array.prototype.slice.call(list.querySelectorAll("[role=option]")); }
    function close() {
      list.hidden = true; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      var opts = options();
      if (!opts.length) { return; }
      active = (index + opts.length) % opts.length;
      opts.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    }
    function choose(option) {
      input.value = option.getAttribute("data-label");
      if (choice) { choice.value = option.getAttribute("data-value"); }
      status.textContent = input.value + " chosen";
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function search() {
      var q = input.value.trim();
      if (q.length < 2) { list.innerHTML = ""; close(); status.textContent = ""; return; }
      var mine = ++seq;
      var target = url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q) +
        "&prefix=" + encodeURIComponent(input.id);
      fetch(target, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          if (mine !== seq) { return; }
          list.innerHTML = html;
          var n = options().length;
          active = -1;
          list.hidden = n === 0;
          input.setAttribute("aria-expanded", n ? "true" : "false");
          status.textContent = n ? n + (n === 1 ? " match" : " matches") + ": use the arrow keys to choose"
            : "No matches you may see. The name you typed is sent as it is.";
        })
        .catch(function () {
          if (mine !== seq) { return; }
          close();
          status.textContent = "Cannot search now. The name you typed is sent as it is.";
        });
    }
    input.addEventListener("input", function () {
      if (choice) { choice.value = ""; }
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (e) {
      var open = !list.hidden;
      if (e.key === "ArrowDown") { e.preventDefault(); if (open) { highlight(active + 1); } else { search(); } }
      else if (e.key === "ArrowUp" && open) { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Enter" && open && active >= 0) { e.preventDefault(); choose(options()[active]); }
      else if (e.key === "Escape" && open) { e.preventDefault(); close(); }
    });
    list.addEventListener("mousedown", function (e) { e.preventDefault(); });
    list.addEventListener("click", function (e) {
      var option = e.target.closest("[role=option]");
      if (option) { choose(option); input.focus(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function init() { document.querySelectorAll("[data-picker]").forEach(setup); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
