// AP workbench: keyboard shortcuts (n next, a accept variance, h hold, r reject, c comment, b or Escape back to the
// queue) and the bulk form showing only the inputs of the chosen action.
// A served file (not inline) so the Content-Security-Policy can stay strict.
(function () {
  "use strict";
  var ACTIONS = { a: "accept", h: "hold", r: "reject", c: "comment" };

  function typing(target) {
    if (!target) { return false; }
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function openAction(name) {
    var panel = document.querySelector('details[data-action="' + name + '"]');
    if (!panel) { return false; }
    panel.open = true;
    var field = panel.querySelector("select, textarea, input:not([type=hidden])");
    if (field) { field.focus(); }
    panel.scrollIntoView({ block: "nearest" });
    return true;
  }

  function back() {
    var link = document.querySelector("[data-back]");
    if (link) { window.location.assign(link.href); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
    if (typing(event.target)) {
      // Escape leaves the field (a second Escape goes back); every other key is typing.
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var key = event.key;
    if (key === "n") {
      var next = document.querySelector('[data-shortcut="n"]');
      if (next) { event.preventDefault(); next.click(); }
    } else if (ACTIONS[key]) {
      if (openAction(ACTIONS[key])) { event.preventDefault(); }
    } else if (key === "b" || key === "Escape") {
      back();
    }
  });

  // After htmx swapped the actions panel: put the cursor on the first field a refusal marked.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var error = event.target.querySelector ? event.target.querySelector("details[open] .field-error") : null;
    if (error) {
      var field = error.parentElement.querySelector("select, textarea, input");
      if (field) { field.focus(); }
    }
  });

  // Bulk form: the reasons and inputs of the chosen action only.
  function syncBulk() {
    var action = document.querySelector("[data-bulk-action]");
    if (!action) { return; }
    var chosen = action.value;
    var reason = document.querySelector("[data-bulk-reason]");
    if (reason) {
      var groups = reason.querySelectorAll("optgroup");
      var any = false;
      groups.forEach(function (group) {
        var match = group.getAttribute("data-for") === chosen;
        group.hidden = !match;
        group.disabled = !match;
        any = any || match;
      });
      var selected = reason.options[reason.selectedIndex];
      if (selected && selected.parentElement.tagName === "OPTGROUP" && selected.parentElement.disabled) {
        reason.value = "";
      }
      reason.closest(".field").hidden = !any;
    }
    document.querySelectorAll("[data-bulk-only]").forEach(function (field) {
      field.hidden = field.getAttribute("data-bulk-only") !== chosen;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.matches && event.target.matches("[data-bulk-action]")) { syncBulk(); }
  });
  document.body.addEventListener("htmx:afterSettle", syncBulk);
  syncBulk();
})();
